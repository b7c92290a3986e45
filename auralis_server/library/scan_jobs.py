"""Runs library scans in a background thread, one at a time across every server sharing the
database, publishing progress events.

One at a time: a scan holds a lock the database's users share for as long as it runs — on
PostgreSQL a session advisory lock (``pg_try_advisory_lock``) on a connection of its own, on
SQLite (one machine) an ``flock`` on a file beside the database. Both end with the process that
holds them, so a server killed mid-scan leaves nothing to clean up. A scan the database fails
(locked, unreachable) is run again with backoff until it completes or is cancelled.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import peewee

from auralis_server.events import EventBus
from auralis_server.library.models import database
from auralis_server.library.scanner import Scanner, ScanProgress

log = logging.getLogger("auralis.library")

SCAN_LOCK_KEY = 0x6175_7261_6C69_7331  # "auralis1": the scan's PostgreSQL advisory lock
_UNAVAILABLE = ("OperationalError:", "InterfaceError:")
"""How a scan the database failed (locked, unreachable) names its cause in ``detail``."""
_MAX_BACKOFF_S = 60.0


class ScanLock(Protocol):
    def acquire(self) -> bool:
        """True when this process now holds it; False when another holds it."""
        ...

    def release(self) -> None: ...


class PostgresScanLock:
    """A session advisory lock on a connection opened for it, closed (released) at the end."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._connection: Any = None

    def acquire(self) -> bool:
        connection = self._connect()
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (SCAN_LOCK_KEY,)).fetchone()
        if not row[0]:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a dead connection has released it already
                connection.close()


class FileScanLock:
    """``flock`` on a file: exclusive between processes and between open files of one."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class ProcessScanLock:
    """For a database no other process can open (SQLite in memory)."""

    _lock = threading.Lock()

    def acquire(self) -> bool:
        return self._lock.acquire(blocking=False)

    def release(self) -> None:
        self._lock.release()


def dedicated_connection() -> Any:
    """A PostgreSQL connection of its own (autocommit, outside the pool) to the database the
    models are bound to: advisory locks and LISTEN belong to one session for its lifetime."""
    import psycopg

    db = database.obj
    assert isinstance(db, peewee.PostgresqlDatabase), "only for PostgreSQL"
    return psycopg.connect(dbname=db.database, autocommit=True, **db.connect_params)


def scan_lock() -> ScanLock:
    """The lock of the database the models are bound to."""
    db = database.obj
    if isinstance(db, peewee.PostgresqlDatabase):
        return PostgresScanLock(dedicated_connection)
    if isinstance(db, peewee.SqliteDatabase) and db.database not in ("", ":memory:"):
        return FileScanLock(Path(f"{db.database}.scan-lock"))
    return ProcessScanLock()


class ScanJobs:
    def __init__(
        self,
        roots: Sequence[Path],
        bus: EventBus,
        workers: int | None = None,
        on_finished: Callable[[ScanProgress], None] | None = None,
        backoff_s: float = 1.0,
    ) -> None:
        self._roots = list(roots)
        self._on_finished = on_finished
        self._bus = bus
        self._workers = workers
        self._backoff_s = backoff_s
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
        """Start a scan unless one is running here or on another server sharing the database;
        True when this call started it."""
        with self._lock:
            if self.running:
                return False
            lock = scan_lock()
            try:
                held = lock.acquire()
            except Exception as exc:  # the database is unreachable: the scan thread retries
                log.warning("cannot take the scan lock yet (%s); the scan will retry", exc)
                held = None
            if held is False:
                log.info("another server sharing the database is scanning; not starting one")
                return False
            self._cancel.clear()
            scanner = self._scanner()
            self._thread = threading.Thread(
                target=self._run, args=(scanner, lock, held is True), name="scan", daemon=True
            )
            self._thread.start()
            return True

    def _scanner(self) -> Scanner:
        scanner = Scanner(
            self._roots, on_progress=self._publish, cancel=self._cancel, workers=self._workers
        )
        self._progress = scanner.progress
        return scanner

    def _run(self, scanner: Scanner, lock: ScanLock, held: bool) -> None:
        failures = 0
        try:
            while True:
                if not held:
                    try:
                        if not lock.acquire():
                            log.info("another server started scanning meanwhile; leaving it")
                            return
                        held = True
                    except Exception as exc:
                        failures += 1
                        if not self._wait(failures, f"cannot take the scan lock ({exc})"):
                            return
                        continue
                progress = scanner.run()
                unavailable = (progress.detail or "").startswith(_UNAVAILABLE)
                if progress.state != "failed" or not unavailable:
                    break
                failures += 1
                if not self._wait(failures, "the database failed the scan"):
                    return
                database.close()  # a broken connection is not reused
                scanner = self._scanner()
            if self._on_finished is not None:
                self._on_finished(progress)
        finally:
            if held:
                lock.release()
            database.close()  # this thread's connection

    def _wait(self, failures: int, why: str) -> bool:
        """Back off before trying again; False when cancelled meanwhile."""
        delay_s = min(self._backoff_s * 2 ** (failures - 1), _MAX_BACKOFF_S)
        log.warning("%s; scanning again in %.1f s", why, delay_s)
        return not self._cancel.wait(delay_s)

    def _publish(self, progress: ScanProgress) -> None:
        self._bus.publish("scan", progress.as_dict())

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the running scan to end (retries included); False on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        return not self.running

    def stop(self, timeout_s: float = 10.0) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
