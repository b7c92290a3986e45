"""Every ``/rest/`` call: parameters, auth, the handler (in a worker thread: they read the
database), and the envelope around its payload or error.

Handlers register with `endpoint` and return the payload's fields, or a ``Response`` of
their own (media). Library refusals become the spec's codes; anything unforeseen is code 0,
logged, and never takes the server down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from auralis_server.config import Settings
from auralis_server.http.subsonic import auth
from auralis_server.http.subsonic.envelope import (
    GENERIC,
    NOT_FOUND,
    SubsonicError,
    failure,
    respond,
)
from auralis_server.http.subsonic.params import Params, read_params
from auralis_server.library.artwork import ArtworkError
from auralis_server.library.errors import (
    LibraryError,
    PlaylistNotFound,
    TrackNotFound,
    TrackUnplayable,
)

log = logging.getLogger("auralis.subsonic")


@dataclass(frozen=True)
class Call:
    """What a handler gets: the parameters, the server's settings and the request itself."""

    params: Params
    settings: Settings
    request: Request


Payload = dict[str, Any]
Handler = Callable[[Call], Payload | Response]


@dataclass(frozen=True)
class Endpoint:
    name: str
    handler: Handler
    needs_auth: bool


ENDPOINTS: dict[str, Endpoint] = {}


def endpoint(name: str, *, needs_auth: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ENDPOINTS[name] = Endpoint(name, handler, needs_auth)
        return handler

    return register


_NOT_FOUND = (TrackNotFound, PlaylistNotFound, TrackUnplayable)


async def handle(request: Request) -> Response:
    """The route of every ``/rest/<name>`` and ``/rest/<name>.view``."""
    name = str(request.path_params["name"]).removesuffix(".view")
    fmt = request.query_params.get("f")
    try:
        params = await read_params(request)
        fmt = params.get("f")
        found = ENDPOINTS.get(name)
        if found is None:
            raise SubsonicError(GENERIC, f"unknown endpoint {name!r:.60}", http_status=404)
        settings: Settings = request.app.state.auralis.settings
        auth.refuse_off_loopback(settings, request.client.host if request.client else None)
        if found.needs_auth:
            auth.authenticate(params, settings)
        result = await run_in_threadpool(found.handler, Call(params, settings, request))
    except SubsonicError as error:
        return failure(error, fmt)
    except LibraryError as error:
        code = NOT_FOUND if isinstance(error, _NOT_FOUND) else GENERIC
        return failure(SubsonicError(code, str(error)), fmt)
    except ArtworkError as error:
        return failure(SubsonicError(GENERIC, str(error)), fmt)
    except Exception:
        log.exception("subsonic %s failed", name)
        error = SubsonicError(GENERIC, "internal server error; see the server log", 500)
        return failure(error, fmt)
    if isinstance(result, Response):
        return result
    return respond(result, fmt)
