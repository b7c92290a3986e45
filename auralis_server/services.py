"""The server's long-lived parts wired once: the HTTP app and the CLI commands both start here.

``serve`` (through ``http.app.create_app``) and ``fingerprint`` need the same database,
event bus, Rust fingerprint backend, fingerprint queue and plan source, started and stopped
in the same order; building them in one place keeps those two from drifting apart.

Imports: config, events, fingerprint, fingerprint.rust, library, streaming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee

from auralis_server.config import Settings
from auralis_server.events import EventBus, PostgresRelay
from auralis_server.fingerprint.rust.backend import RustBackend, rust_backend
from auralis_server.fingerprint.scheduler import FingerprintQueue
from auralis_server.library.models import close_database, open_database
from auralis_server.library.scan_jobs import dedicated_connection
from auralis_server.streaming.plan_source import PlanSource

Publish = Callable[[str, dict[str, Any]], None]


@dataclass
class Services:
    settings: Settings
    bus: EventBus
    rust: RustBackend
    fingerprints: FingerprintQueue
    plans: PlanSource
    relay: PostgresRelay | None = None

    def start(self, *, background_fingerprints: bool) -> None:
        """Open the database (on PostgreSQL, join the other servers' events), then the Rust
        server (cold plans use it even with workers off)."""
        db = open_database(self.settings.database_url, self.settings.sqlite_path)
        if isinstance(db, peewee.PostgresqlDatabase):
            self.relay = PostgresRelay(
                dedicated_connection, self.fingerprints.replica_id, self.bus.deliver
            ).start()
            self.bus.attach(self.relay)
        self.rust.start()
        if background_fingerprints:
            self.fingerprints.start()

    def stop(self) -> None:
        self.fingerprints.stop()
        self.rust.stop()
        if self.relay is not None:
            self.bus.attach(None)
            self.relay.stop()
            self.relay = None
        close_database()


def build_services(settings: Settings, *, also_publish: Publish | None = None) -> Services:
    """Everything unstarted; ``also_publish`` sees every event the bus gets (the CLI's bar)."""
    bus = EventBus()

    def publish(kind: str, data: dict[str, Any]) -> None:
        bus.publish(kind, data)
        if also_publish is not None:
            also_publish(kind, data)

    rust = rust_backend(settings.fingerprint_servers)
    queue = FingerprintQueue(
        workers=settings.fingerprint_workers,
        cache_dir=settings.cache_dir,
        publish=publish,
        remote=rust.fingerprinter,
        replica_id=settings.replica_id or None,
        lease_s=settings.fingerprint_lease_s,
    )
    return Services(settings, bus, rust, queue, PlanSource(remote=rust.fingerprinter))
