"""The Starlette application: routes, JSON errors, token auth, start-up and shut-down."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from collections.abc import AsyncIterator

import peewee
from playhouse.pool import MaxConnectionsExceeded
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from auralis_server.config import Settings
from auralis_server.http import openapi
from auralis_server.http.auth import BearerTokenMiddleware, redact_access_log
from auralis_server.http.errors import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    UnreadableAudio,
    database_busy,
)
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
from auralis_server.streaming.render_pool import DeadlinePool, threads_for
from auralis_server.streaming.renderer import ChunkRenderer, MasteringRenderer

log = logging.getLogger("auralis")

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD_BYTES = 2**20


def return_big_buffers_to_the_system() -> None:
    """Have glibc map every allocation of 1 MiB or more on its own, so freeing it gives it back.

    A render's buffers are megabytes each. glibc raises its mmap threshold to the size of
    any mapped block freed, after which such buffers come from the per-thread heaps, which
    keep freed memory: 30 clients hanging up, each its own render, left the server 130 MB
    larger for good. Setting the threshold fixes it (and stops the raising). Elsewhere
    (musl, macOS) there is no such call, or it does nothing, and this does nothing.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


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


_SQLITE_BUSY_WORDS = ("locked", "busy")


def _database_unavailable(exc: Exception) -> str | None:
    """What keeps the database from use just now, in a few words for the client (the driver's
    message, which may name hosts and users, goes only to the log); None for other errors.

    SQLite says "database is locked" once its busy timeout has run out while another process
    holds the lock; its other operational errors (a bad statement) are bugs, and stay 500s.
    Every operational error of PostgreSQL's driver is about the server or the connection
    (gone, refused, a lock or statement timeout); the pool running dry is one too.
    """
    if isinstance(exc, MaxConnectionsExceeded):
        return "no free connection"
    cause = exc.__cause__ or exc.__context__ or exc  # peewee re-raises the driver's error
    driver = type(cause).__module__
    if driver.startswith("sqlite3"):
        return "locked" if any(word in str(cause) for word in _SQLITE_BUSY_WORDS) else None
    return "unreachable or timed out" if driver.startswith("psycopg") else None


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    reason = _database_unavailable(exc)
    if reason is None:
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return await _internal_error(request, exc)
    cause = exc.__cause__ or exc.__context__ or exc
    log.warning("database %s on %s %s: %s", reason, request.method, request.url.path, cause)
    return await _api_error(request, database_busy(reason))


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"error": "internal", "detail": "internal server error; see the server log"}, 500
    )


def create_app(settings: Settings, *, renderer: ChunkRenderer | None = None) -> Starlette:
    """Build the app; ``renderer`` replaces the mastering stage (tests use that seam)."""
    redact_access_log()
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
        renders=(
            DeadlinePool.for_machine(settings.render_processes)
            if renderer is None
            # A test's renderer stands in for the mastering stage here: on threads.
            else DeadlinePool(
                settings.render_processes or threads_for(os.cpu_count() or 1), processes=False
            )
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        return_big_buffers_to_the_system()
        services.start(background_fingerprints=settings.fingerprint_workers > 0)
        state.renders.warm()
        if settings.scan_on_start:
            state.scans.start()
        try:
            yield
        finally:
            state.scans.stop()
            services.stop()
            state.renders.close()
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
            peewee.OperationalError: _database_error,
            peewee.InterfaceError: _database_error,
            MaxConnectionsExceeded: _database_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    app.state.auralis = state
    return app
