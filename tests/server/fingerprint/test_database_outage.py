"""A database another process has locked: fingerprint results and scans wait it out and are
retried with backoff, never dropped (SQLite's write lock, held as another process would)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auralis_server.events import EventBus
from auralis_server.fingerprint.scheduler import FingerprintQueue
from auralis_server.library.models import Fingerprint, Track, close_database, open_database
from auralis_server.library.scan_jobs import ScanJobs
from auralis_server.library.scanner import Scanner, ScanProgress
from tests.conftest import write_audio


class Seen(logging.Handler):
    """Sets ``event`` when a record of the ``auralis`` loggers contains ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.WARNING)
        self.text = text
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@pytest.fixture
def seen() -> Iterator[type[Seen]]:
    handlers: list[Seen] = []
    root = logging.getLogger("auralis")

    class Tracked(Seen):
        def __init__(self, text: str) -> None:
            super().__init__(text)
            handlers.append(self)
            root.addHandler(self)

    yield Tracked
    for handler in handlers:
        root.removeHandler(handler)


class Locker:
    """Another connection holding the database's write lock until released."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def lock(self) -> None:
        self._connection.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self._connection.execute("ROLLBACK")
        self._connection.close()


@pytest.fixture
def library_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "library.db"
    open_database(None, path)
    yield path
    close_database()


def test_a_result_the_locked_database_refuses_is_stored_once_it_is_free(
    tmp_path: Path, library_db: Path, seen: type[Seen]
) -> None:
    write_audio(tmp_path / "music" / "song.wav", 1.0, 8000, channels=1)
    Scanner([tmp_path / "music"], workers=1).run()
    refused = seen("storing the fingerprint failed")
    locker = Locker(library_db)
    events: list[dict[str, Any]] = []
    done = threading.Event()

    def publish(kind: str, data: dict[str, Any]) -> None:
        events.append(data)
        if data["status"] == "processing":
            locker.lock()  # the job is running; its result will meet a locked database
        else:
            done.set()

    queue = FingerprintQueue(
        workers=1, cache_dir=tmp_path / "cache", publish=publish, backoff_s=0.1, lease_s=300
    )
    queue.start()
    try:
        assert refused.event.wait(120), "the store never met the lock"
        locker.release()
        assert done.wait(120)
    finally:
        queue.stop()
    assert [e["status"] for e in events] == ["processing", "complete"]  # computed once
    track = Track.get()
    assert track.fingerprint_status == "complete" and Fingerprint.get().track_id == track.id


def test_a_scan_the_locked_database_fails_runs_again_once_it_is_free(
    tmp_path: Path, library_db: Path, seen: type[Seen]
) -> None:
    music = tmp_path / "music"
    for index in range(3):
        write_audio(music / f"{index}.wav", 0.2, 8000, channels=1, seed=index)
    again = seen("scanning again")
    locker = Locker(library_db)
    locker.lock()
    finished: list[ScanProgress] = []
    scans = ScanJobs([music], EventBus(), workers=1, on_finished=finished.append, backoff_s=0.1)
    assert scans.start()
    try:
        assert again.event.wait(120), "the scan never met the lock"
    finally:
        locker.release()
    assert scans.wait(120)
    assert [progress.state for progress in finished] == ["finished"]
    assert sorted(t.path for t in Track.select()) == sorted(str(p) for p in music.iterdir())
