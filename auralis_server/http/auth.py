"""Token check for every /api request when a token is configured.

The token comes as ``Authorization: Bearer …`` or, for URLs handed to players that cannot
send headers (mpv, a browser's <audio>, the ``.m3u8`` lists), as ``?token=…``. A token in a
URL shows up wherever URLs do — proxy and server logs, shell history, the playlist file — so
the header is the way for clients that can send one, and this server's own access log shows
such secrets as ``[redacted]`` (``RedactSecrets``).
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import parse_qsl, unquote_plus

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


REDACTED = "[redacted]"
SECRET_PARAMETERS = frozenset({"token"})
"""Query parameters that are credentials anywhere: the API token."""
SUBSONIC_SECRET_PARAMETERS = frozenset({"p", "t", "apiKey"})
"""… and under /rest/: the Subsonic password, its salted hash (replayable with ``s``) and keys."""


def redact_secrets(target: str) -> str:
    """``target`` (a path with its query) with the value of every credential parameter
    replaced by ``[redacted]``; everything else byte for byte as it was.

    Names are compared decoded, as the token check reads them: ``?%74oken=…`` is a token too.
    """
    path, question, query = target.partition("?")
    if not question:
        return target
    secrets = SECRET_PARAMETERS
    if path.startswith("/rest/"):
        secrets = secrets | SUBSONIC_SECRET_PARAMETERS
    pieces = []
    for piece in query.split("&"):
        name, equals, _ = piece.partition("=")
        if equals and unquote_plus(name) in secrets:
            piece = f"{name}={REDACTED}"
        pieces.append(piece)
    return f"{path}?{'&'.join(pieces)}"


class RedactSecrets(logging.Filter):
    """Keeps credentials given in URLs out of a log: uvicorn's access log writes each request's
    path and query, ``?token=…`` included, so this filter rewrites the URL argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_secrets(arg) if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


ACCESS_LOGGER = "uvicorn.access"


def redact_access_log() -> None:
    """Put ``RedactSecrets`` on uvicorn's access logger once (uvicorn's own logging set-up,
    before or after, keeps a logger's filters)."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(each, RedactSecrets) for each in access.filters):
        access.addFilter(RedactSecrets())
