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

from auralis_server.auth import BearerTokenMiddleware
from auralis_server.chunk_cache import ChunkCache
from auralis_server.config import Settings
from auralis_server.db import close_database, open_database
from auralis_server.errors import ApiError
from auralis_server.events import EventBus
from auralis_server.fingerprint_backend import rust_backend
from auralis_server.fingerprint_queue import FingerprintQueue
from auralis_server.mastering_renderer import MasteringRenderer
from auralis_server.plans import PlanSource
from auralis_server.render import ChunkRenderer
from auralis_server.routes import events, fingerprints, health, library, stream
from auralis_server.scan_jobs import ScanJobs
from auralis_server.state import AppState

log = logging.getLogger("auralis")


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        {"error": exc.code, "detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
    )


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
    bus = EventBus()
    rust = rust_backend(settings.fingerprint_servers)
    plans = PlanSource(remote=rust.fingerprinter)
    queue = FingerprintQueue(
        workers=settings.fingerprint_workers,
        cache_dir=settings.cache_dir,
        publish=bus.publish,
        remote=rust.fingerprinter,
    )
    state = AppState(
        settings=settings,
        bus=bus,
        scans=ScanJobs(
            settings.effective_music_dirs(),
            bus,
            on_finished=lambda _: queue.enqueue_pending(),
        ),
        renderer=renderer or MasteringRenderer(plans),
        fingerprints=queue,
        rust=rust,
        plans=plans,
        cache=ChunkCache(
            settings.chunk_cache_memory_mb * 2**20,
            settings.cache_dir / "chunks",
            settings.chunk_cache_disk_mb * 2**20,
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        open_database(settings.database_url, settings.sqlite_path)
        rust.start()  # cold plans use it even with background extraction off
        if settings.fingerprint_workers > 0:
            queue.start()
        if settings.scan_on_start:
            state.scans.start()
        try:
            yield
        finally:
            state.scans.stop()
            queue.stop()
            rust.stop()
            close_database()

    app = Starlette(
        routes=[
            *health.routes,
            *library.routes,
            *fingerprints.routes,
            *stream.routes,
            *events.routes,
        ],
        middleware=[Middleware(BearerTokenMiddleware, token=settings.token)],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    app.state.auralis = state
    return app
