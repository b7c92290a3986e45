"""A locked database (issue 16 item 5): another process holds an exclusive lock on the SQLite
file, so a request that needs a write answers 503 with Retry-After and the usual
``{error, detail}`` JSON, not a 500; reads go on (WAL), and once the lock is let go the same
write succeeds.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from starlette.testclient import TestClient

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library import models
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from tests.conftest import write_audio

if TYPE_CHECKING:
    from tests.server.postgres import PostgresCluster

BUSY_TIMEOUT_MS = 300  # the server's 10 s, shortened: how long it waits is not the subject

HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
connection.execute("ROLLBACK")
"""


class LockHolder:
    """A separate process holding ``BEGIN EXCLUSIVE`` on the SQLite file until released."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        assert self.process.wait(30) == 0
        self.process.stdout.close()


@pytest.fixture
def served(
    tmp_path: Path, settings_for: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Settings, int]]:
    monkeypatch.setitem(models.SQLITE_PRAGMAS, "busy_timeout", BUSY_TIMEOUT_MS)
    write_audio(tmp_path / "music" / "song.wav", 2.0, 8000, channels=1)
    settings = settings_for(tmp_path / "music")
    open_database(settings.database_url, settings.sqlite_path)
    assert Scanner([tmp_path / "music"], workers=1).run().state == "finished"
    track_id = int(Track.get().id)
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client, settings, track_id
    finally:
        close_database()


def test_a_write_while_another_process_holds_the_lock_is_a_503_then_succeeds(
    served: tuple[TestClient, Settings, int],
) -> None:
    client, settings, track_id = served
    holder = LockHolder(settings.sqlite_path)
    try:
        refused = client.post(f"/api/tracks/{track_id}/plays")
        listed = client.get("/api/tracks")
    finally:
        holder.release()

    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) > 0
    body = refused.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == "database_busy"
    assert "locked" in body["detail"] and "Traceback" not in body["detail"]
    assert listed.status_code == 200 and listed.json()["total"] == 1

    recorded = client.post(f"/api/tracks/{track_id}/plays")
    assert recorded.status_code == 200
    assert client.get("/api/plays").json()["tracks"][0]["id"] == track_id
    # and the API's own document says the operation can answer that
    operation = client.get("/api/openapi.json").json()["paths"]["/api/tracks/{track_id}/plays"]
    assert "503" in operation["post"]["responses"]


def test_a_database_error_that_is_a_bug_stays_a_500(
    served: tuple[TestClient, Settings, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only unavailability is a 503: an SQL mistake is not worth retrying."""
    client, _, track_id = served

    def broken(*_: object) -> None:
        models.database.execute_sql("SELECT no_such_column FROM track")

    monkeypatch.setattr("auralis_server.library.playstate.record_play", broken)
    response = client.post(f"/api/tracks/{track_id}/plays")
    assert response.status_code == 500
    assert response.json()["error"] == "internal"


LOCK_TIMEOUT_MS = 300


def test_on_postgresql_a_table_locked_by_another_connection_is_a_503(
    tmp_path: Path, settings_for: Callable[..., Settings], postgres_cluster: PostgresCluster
) -> None:
    """PostgreSQL waits for a lock as long as it is held unless told otherwise: a
    ``lock_timeout`` in the URL's ``options`` bounds it, and its error is a 503."""
    import psycopg

    url = postgres_cluster.create_database()
    write_audio(tmp_path / "music" / "song.wav", 2.0, 8000, channels=1)
    settings = settings_for(
        tmp_path / "music",
        database_url=f"{url}&options=-c%20lock_timeout%3D{LOCK_TIMEOUT_MS}",
    )
    open_database(settings.database_url, settings.sqlite_path)
    try:
        assert Scanner([tmp_path / "music"], workers=1).run().state == "finished"
        track_id = int(Track.get().id)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            with psycopg.connect(url) as holder:
                holder.execute("LOCK TABLE track IN ACCESS EXCLUSIVE MODE")
                refused = client.post(f"/api/tracks/{track_id}/plays")
                holder.rollback()
            recorded = client.post(f"/api/tracks/{track_id}/plays")
    finally:
        close_database()
        postgres_cluster.drop_database(url)
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["error"] == "database_busy"
    assert recorded.status_code == 200
