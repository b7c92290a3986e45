"""What the route handlers share: settings, event bus, scan jobs, the chunk renderer."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from auralis_server.chunk_cache import ChunkCache
from auralis_server.config import Settings
from auralis_server.events import EventBus
from auralis_server.fingerprint_backend import RustBackend
from auralis_server.fingerprint_queue import FingerprintQueue
from auralis_server.plans import PlanSource
from auralis_server.render import ChunkRenderer
from auralis_server.scan_jobs import ScanJobs


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


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.auralis
    return state
