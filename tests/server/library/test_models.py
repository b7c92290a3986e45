from __future__ import annotations

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
