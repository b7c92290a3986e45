"""API errors: raised anywhere in a handler, turned into `{"error", "detail"}` JSON at the edge."""

from __future__ import annotations

import re

# Details quote what the client sent; a 60 KB header or 5000-digit id is not echoed back whole.
MAX_DETAIL_CHARS = 300


def _shortened(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ApiError(Exception):
    """Base of the API's errors; a subclass names its status, its code is its snake_case name."""

    status_code = 500
    code = "internal"

    def __init_subclass__(cls, *, status_code: int) -> None:
        cls.status_code = status_code
        cls.code = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        detail = _shortened(detail)
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(ApiError, status_code=400): ...


class NotFound(ApiError, status_code=404): ...


class Conflict(ApiError, status_code=409): ...


class RangeNotSatisfiable(ApiError, status_code=416): ...


class UnreadableAudio(ApiError, status_code=422): ...


class Overloaded(ApiError, status_code=503): ...


class DatabaseBusy(ApiError, status_code=503): ...


DATABASE_RETRY_AFTER_S = 5
"""What a 503 for a locked or unreachable database tells the client to wait (Retry-After)."""


def database_busy(reason: str) -> DatabaseBusy:
    return DatabaseBusy(
        f"the library database is busy or unreachable ({reason}); try again shortly",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )
