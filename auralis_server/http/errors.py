"""API errors: raised anywhere in a handler, turned into `{"error", "detail"}` JSON at the edge."""

from __future__ import annotations


class ApiError(Exception):
    status_code = 500
    code = "internal"

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(ApiError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class RangeNotSatisfiable(ApiError):
    status_code = 416
    code = "range_not_satisfiable"


class UnreadableAudio(ApiError):
    status_code = 422
    code = "unreadable_audio"


class NotImplementedYet(ApiError):
    status_code = 501
    code = "not_implemented"


class Overloaded(ApiError):
    status_code = 503
    code = "overloaded"
