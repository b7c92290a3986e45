"""A PostgreSQL ``database_url``: psycopg 3 through peewee's pool, the same constraints as
SQLite, and no connection left behind once the database is closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import peewee
import psycopg
import pytest
from playhouse.pool import PooledDatabase

from auralis_server.library.models import (
    Fingerprint,
    Track,
    close_database,
    database,
    open_database,
)
from tests.server.postgres import PostgresCluster, database_name


@pytest.fixture
def url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    made = postgres_cluster.create_database()
    yield made
    close_database()
    postgres_cluster.drop_database(made)


def _connections(url: str) -> int:
    """Server-side sessions on the test database, seen from another connection."""
    name = database_name(url)
    with psycopg.connect(url.replace(f"/{name}?", "/postgres?")) as observer:
        row = observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_postgresql_is_pooled_psycopg3_with_cascades_and_unique_paths(url: str) -> None:
    db = open_database(url, Path("unused.db"))
    assert isinstance(db, PooledDatabase) and isinstance(db, peewee.PostgresqlDatabase)
    assert type(db.connection()).__module__.startswith("psycopg")  # v3, not psycopg2
    track = Track.create(path="/x.flac", size=1, mtime_ns=1)
    Fingerprint.create(
        track=track, vector=b"\0" * 100, algorithm_version=1, source="python", sha256="0" * 64
    )
    track.delete_instance()
    assert Fingerprint.select().count() == 0  # ON DELETE CASCADE took it
    Track.create(path="/x2.flac", size=1, mtime_ns=1)
    with pytest.raises(peewee.IntegrityError), database.atomic():
        Track.create(path="/x2.flac", size=2, mtime_ns=2)  # path is unique
    assert Track.select().count() == 1  # the failed insert rolled back, the rest stands


def test_reopening_keeps_the_pool_and_closing_leaves_no_connection(url: str) -> None:
    db = open_database(url, Path("unused.db"))
    worker = threading.Thread(target=lambda: Track.select().count())  # a second connection
    worker.start()
    worker.join()
    assert open_database(url, Path("unused.db")) is db  # a CLI reopen keeps other threads'
    assert _connections(url) >= 2
    close_database()
    assert _connections(url) == 0
