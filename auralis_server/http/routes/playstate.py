"""The saved play state: what a client resumes from, on this machine or another."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auralis_server.http.params import json_object
from auralis_server.library import playstate


async def get_playstate(request: Request) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(playstate.read_state))


async def put_playstate(request: Request) -> JSONResponse:
    """The whole state (``updated_at`` may be echoed back and is ignored); 400 for any bad field."""
    body = await json_object(request, playstate.STATE_FIELDS, optional=("updated_at",))
    return JSONResponse(await run_in_threadpool(playstate.write_state, body))


routes = [
    Route("/api/playstate", get_playstate, methods=["GET"]),
    Route("/api/playstate", put_playstate, methods=["PUT"]),
]
