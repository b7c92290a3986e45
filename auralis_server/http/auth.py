"""Token check for every /api request when a token is configured.

The token comes as ``Authorization: Bearer …`` or, for URLs handed to players that cannot
send headers (mpv, a browser's <audio>, the ``.m3u8`` lists), as ``?token=…``. A token in a
URL shows up wherever URLs do — proxy and server logs, shell history, the playlist file — so
the header is the way for clients that can send one.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class BearerTokenMiddleware:
    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self._token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._token and scope["type"] == "http" and scope["path"].startswith("/api"):
            if not self._accepts(scope):
                response = JSONResponse(
                    {"error": "unauthorized", "detail": "missing or wrong bearer token"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="auralis"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _accepts(self, scope: Scope) -> bool:
        assert self._token is not None
        scheme, _, credentials = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return hmac.compare_digest(credentials.strip().encode(), self._token)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = [value for name, value in query if name == "token"]
        return len(given) == 1 and hmac.compare_digest(given[0].encode(), self._token)
