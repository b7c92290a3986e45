from __future__ import annotations

import threading
from pathlib import Path

import peewee
import pytest

from auralis_server.library.models import (
    Fingerprint,
    Track,
    close_database,
    database,
    open_database,
)


@pytest.mark.parametrize("use_url", [False, True])
def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path: Path, use_url: bool) -> None:
    path = tmp_path / "lib.db"
    open_database(f"sqlite:///{path}" if use_url else None, path)
    try:
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000
        track = Track.create(path="/x.flac", size=1, mtime_ns=1)
        Fingerprint.create(
            track=track, vector=b"\0" * 100, algorithm_version=1, source="python", sha256="0" * 64
        )
        track.delete_instance()
        assert Fingerprint.select().count() == 0  # ON DELETE CASCADE took it
        Track.create(path="/x2.flac", size=1, mtime_ns=1)
        with pytest.raises(peewee.IntegrityError):
            Track.create(path="/x2.flac", size=2, mtime_ns=2)  # path is unique
        assert path.exists()
    finally:
        close_database()


def test_opening_the_database_again_keeps_another_threads_transaction(
    tmp_path: Path, database_url: str | None
) -> None:
    """A second `open_database` in the process (a test helper beside a live server, a second
    app) once bound a new database object under a running transaction: its next statement
    took a new connection, which waited 10 s on its own thread's write lock and failed."""
    path = tmp_path / "lib.db"
    open_database(database_url, path)
    try:
        Track.create(path="/a.flac", size=1, mtime_ns=1)
        inside, reopened = threading.Event(), threading.Event()
        outcome: list[str] = []

        def write_in_two_steps() -> None:
            try:
                with database.atomic():
                    Track.update(size=2).where(Track.path == "/a.flac").execute()
                    inside.set()
                    reopened.wait(10)
                    Track.update(size=3).where(Track.path == "/a.flac").execute()
                outcome.append("committed")
            except peewee.PeeweeException as exc:
                outcome.append(repr(exc))
            finally:
                database.close()

        writer = threading.Thread(target=write_in_two_steps)
        writer.start()
        assert inside.wait(10)
        open_database(database_url, path)
        reopened.set()
        writer.join(30)
        assert outcome == ["committed"]
        assert Track.get(Track.path == "/a.flac").size == 3
    finally:
        close_database()
