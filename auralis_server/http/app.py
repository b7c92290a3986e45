"""The Starlette application: routes, JSON errors, token auth, start-up and shut-down."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from auralis_server.config import Settings
from auralis_server.http import openapi
from auralis_server.http.auth import BearerTokenMiddleware
from auralis_server.http.errors import ApiError, BadRequest, Conflict, NotFound, UnreadableAudio
from auralis_server.http.routes import (
    audio_files,
    events,
    fingerprints,
    health,
    library,
    loudness,
    playlists,
    playstate,
    stream,
)
from auralis_server.http.state import AppState
from auralis_server.http.subsonic import routes as subsonic
from auralis_server.library.errors import (
    InvalidQuery,
    LibraryError,
    NameTaken,
    PlaylistNotFound,
    TrackNotFound,
    TrackUnplayable,
)
from auralis_server.library.scan_jobs import ScanJobs
from auralis_server.services import build_services
from auralis_server.streaming.chunk_cache import ChunkCache
from auralis_server.streaming.renderer import ChunkRenderer, MasteringRenderer

log = logging.getLogger("auralis")


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        {"error": exc.code, "detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
    )


_LIBRARY_ERRORS: dict[type[LibraryError], type[ApiError]] = {
    TrackNotFound: NotFound,
    PlaylistNotFound: NotFound,
    InvalidQuery: BadRequest,
    NameTaken: Conflict,
    TrackUnplayable: UnreadableAudio,
}


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LibraryError)
    api_error = next(
        error(str(exc)) for kind, error in _LIBRARY_ERRORS.items() if isinstance(exc, kind)
    )
    return await _api_error(request, api_error)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(
        {"error": code, "detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
    )


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"error": "internal", "detail": "internal server error; see the server log"}, 500
    )


def create_app(settings: Settings, *, renderer: ChunkRenderer | None = None) -> Starlette:
    """Build the app; ``renderer`` replaces the mastering stage (tests use that seam)."""
    services = build_services(settings)
    queue = services.fingerprints
    state = AppState(
        settings=settings,
        bus=services.bus,
        scans=ScanJobs(
            settings.effective_music_dirs(),
            services.bus,
            on_finished=lambda _: queue.enqueue_pending(),
        ),
        renderer=renderer or MasteringRenderer(services.plans),
        fingerprints=queue,
        rust=services.rust,
        plans=services.plans,
        cache=ChunkCache(
            settings.chunk_cache_memory_mb * 2**20,
            settings.cache_dir / "chunks",
            settings.chunk_cache_disk_mb * 2**20,
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.start(background_fingerprints=settings.fingerprint_workers > 0)
        if settings.scan_on_start:
            state.scans.start()
        try:
            yield
        finally:
            state.scans.stop()
            services.stop()
            state.cache.close()

    app = Starlette(
        routes=[
            *audio_files.routes,  # before playlists: /api/playlists/{id}.m3u8
            *openapi.routes,
            *health.routes,
            *library.routes,
            *fingerprints.routes,
            *stream.routes,
            *loudness.routes,
            *events.routes,
            *playstate.routes,
            *playlists.routes,
            *subsonic.routes,
        ],
        middleware=[Middleware(BearerTokenMiddleware, token=settings.token)],
        exception_handlers={
            ApiError: _api_error,
            LibraryError: _library_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    app.state.auralis = state
    return app
