"""What the route handlers share: settings, event bus, scan jobs, the chunk renderer."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from auralis_server.config import Settings
from auralis_server.events import EventBus
from auralis_server.fingerprint.rust.backend import RustBackend
from auralis_server.fingerprint.scheduler import FingerprintQueue
from auralis_server.library.scan_jobs import ScanJobs
from auralis_server.streaming.chunk_cache import ChunkCache
from auralis_server.streaming.plan_source import PlanSource
from auralis_server.streaming.render_pool import DeadlinePool
from auralis_server.streaming.renderer import ChunkRenderer


@dataclass
class AppState:
    settings: Settings
    bus: EventBus
    scans: ScanJobs
    renderer: ChunkRenderer
    fingerprints: FingerprintQueue
    rust: RustBackend
    plans: PlanSource
    cache: ChunkCache
    renders: DeadlinePool  # every chunk render, earliest deadline first


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.auralis
    return state
