"""A call's parameters: the query string and, for POST (the ``formPost`` extension), the
form body; names may repeat (``id=1&id=2``). Missing or malformed ones are Subsonic errors."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from auralis_server.http.subsonic.envelope import GENERIC, MISSING_PARAMETER, SubsonicError

MAX_FORM_BYTES = 1 << 20  # a playlist of 100 000 ids still fits
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


class Params:
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def get(self, name: str) -> str | None:
        return next((value for key, value in self._items if key == name), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self._items if key == name]

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None or value == "":
            raise SubsonicError(MISSING_PARAMETER, f"required parameter {name} is missing")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get(name)
        if raw is None or raw == "":
            return default
        if not raw.lstrip("+-").isdigit() or len(raw) > 20:
            raise SubsonicError(GENERIC, f"{name} must be an integer, got {raw!r:.40}")
        return max(low, min(high, int(raw)))

    def flag(self, name: str, default: bool) -> bool:
        raw = (self.get(name) or "").lower()
        if raw == "":
            return default
        if raw in _TRUE or raw in _FALSE:
            return raw in _TRUE
        raise SubsonicError(GENERIC, f"{name} must be true or false, got {raw!r:.40}")


async def read_params(request: Request) -> Params:
    """The query's parameters, then a form body's (POST with
    ``application/x-www-form-urlencoded``)."""
    items = list(request.query_params.multi_items())
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST" and content_type == "application/x-www-form-urlencoded":
        body = b""
        async for piece in request.stream():
            body += piece
            if len(body) > MAX_FORM_BYTES:
                raise SubsonicError(GENERIC, f"the form body exceeds {MAX_FORM_BYTES} bytes")
        try:
            items += parse_qsl(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise SubsonicError(GENERIC, "the form body must be UTF-8") from None
    return Params(items)
