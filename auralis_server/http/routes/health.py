"""Liveness and what the server runs with."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auralis_server import __version__
from auralis_server.http.routes.fingerprints import backend_name
from auralis_server.http.state import state_of
from auralis_server.library.models import Track


async def health(request: Request) -> JSONResponse:
    state = state_of(request)
    rust = await run_in_threadpool(state.rust.health)
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "fingerprint_backend": backend_name(state.fingerprints),
            "fingerprint_workers": state.fingerprints.workers,
            "rust_server": rust,
            "tracks": Track.select().count(),
            "scanning": state.scans.running,
            "chunk_seconds": state.settings.chunk_seconds,
        }
    )


routes = [Route("/api/health", health)]
