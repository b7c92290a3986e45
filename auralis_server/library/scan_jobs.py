"""Runs library scans in a background thread, one at a time, publishing progress events."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from auralis_server.events import EventBus
from auralis_server.library.models import database
from auralis_server.library.scanner import Scanner, ScanProgress


class ScanJobs:
    def __init__(
        self,
        roots: Sequence[Path],
        bus: EventBus,
        workers: int | None = None,
        on_finished: Callable[[ScanProgress], None] | None = None,
    ) -> None:
        self._roots = list(roots)
        self._on_finished = on_finished
        self._bus = bus
        self._workers = workers
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._progress = ScanProgress(roots=[str(root) for root in self._roots])

    @property
    def progress(self) -> ScanProgress:
        return self._progress

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start a scan unless one is running; True when this call started it."""
        with self._lock:
            if self.running:
                return False
            self._cancel.clear()
            scanner = Scanner(
                self._roots, on_progress=self._publish, cancel=self._cancel, workers=self._workers
            )
            self._progress = scanner.progress
            self._thread = threading.Thread(
                target=self._run, args=(scanner,), name="scan", daemon=True
            )
            self._thread.start()
            return True

    def _run(self, scanner: Scanner) -> None:
        try:
            progress = scanner.run()
            if self._on_finished is not None:
                self._on_finished(progress)
        finally:
            database.close()  # this thread's connection

    def _publish(self, progress: ScanProgress) -> None:
        self._bus.publish("scan", progress.as_dict())

    def stop(self, timeout_s: float = 10.0) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
