"""Schema migrations on PostgreSQL: a 0.1.0 library upgrades without losing a row and ends
with the schema of a new one.

0.1.0's schema is kept as SQLite SQL (``fixtures/schema_0_1_0.sql``), which PostgreSQL
cannot run (no auto-increment on ``INTEGER PRIMARY KEY``, no ``BLOB`` or ``DATETIME``). The
version-1 PostgreSQL database is therefore built from frozen copies of 0.1.0's models,
which is what 0.1.0 itself did with a PostgreSQL ``database_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import peewee
import pytest
from playhouse.postgres_ext import Psycopg3Database

from auralis_server.library.migrations import latest_version, schema_version
from auralis_server.library.models import Fingerprint, Track, close_database, open_database
from tests.server.library.test_migrations import FINGERPRINTS, TRACKS, _library_rows, _schema
from tests.server.postgres import PostgresCluster


def _released_library(url: str) -> None:
    """A PostgreSQL library as 0.1.0 made and filled it, built without today's models."""
    db = Psycopg3Database(url)

    # 0.1.0's models, frozen: the columns of ``fixtures/schema_0_1_0.sql`` (the class names
    # are the released ones, since peewee names the indexes after them).
    class Track(peewee.Model):
        path = peewee.TextField(unique=True)
        size = peewee.BigIntegerField()
        mtime_ns = peewee.BigIntegerField()
        title = peewee.TextField(null=True)
        artist = peewee.TextField(null=True, index=True)
        album = peewee.TextField(null=True, index=True)
        album_artist = peewee.TextField(null=True)
        track_no = peewee.IntegerField(null=True)
        disc_no = peewee.IntegerField(null=True)
        year = peewee.IntegerField(null=True)
        genre = peewee.TextField(null=True)
        duration = peewee.FloatField(null=True)
        total_frames = peewee.BigIntegerField(null=True)
        sample_rate = peewee.IntegerField(null=True)
        channels = peewee.IntegerField(null=True)
        codec = peewee.TextField(null=True)
        added_at = peewee.DateTimeField()
        scan_error = peewee.TextField(null=True)
        fingerprint_status = peewee.CharField(max_length=16, index=True)
        fingerprint_computed_at = peewee.DateTimeField(null=True)
        fingerprint_error = peewee.TextField(null=True)

        class Meta:
            database = db
            table_name = "track"

    class Fingerprint(peewee.Model):
        track = peewee.ForeignKeyField(Track, unique=True, on_delete="CASCADE")
        vector = peewee.BlobField()
        algorithm_version = peewee.IntegerField()
        source = peewee.CharField(max_length=16)
        sha256 = peewee.CharField(max_length=64)
        computed_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "fingerprint"

    with db.atomic():
        db.create_tables((Track, Fingerprint))
        Track.insert_many(TRACKS).execute()
        Fingerprint.insert_many(FINGERPRINTS).execute()
        for table in ("track", "fingerprint"):  # ids were given: move the sequences past them
            db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'(SELECT MAX("id") FROM "{table}"))'
            )
    db.close()


UNUSED = Path("unused.db")
"""open_database's SQLite path, which a PostgreSQL URL makes irrelevant."""


@pytest.fixture
def new_database(postgres_cluster: PostgresCluster) -> Iterator[Callable[[], str]]:
    """Fresh PostgreSQL databases for one test; each is dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(postgres_cluster.create_database())
        return made[-1]

    yield make
    close_database()
    for url in made:
        postgres_cluster.drop_database(url)


def test_a_0_1_0_library_upgrades_with_every_row_intact(new_database: Callable[[], str]) -> None:
    url = new_database()
    _released_library(url)
    db = open_database(url, UNUSED)
    assert schema_version(db) == latest_version()
    assert _library_rows() == (TRACKS, FINGERPRINTS)
    vector = np.frombuffer(Fingerprint.get(Fingerprint.track == 4).vector, dtype="<f4")
    assert np.array_equal(vector, np.random.default_rng(4).standard_normal(25).astype(np.float32))

    Track.delete_by_id(3)  # the upgraded schema still cascades
    assert [f.track_id for f in Fingerprint.select().order_by(Fingerprint.id)] == [4, 5]
    added = Track.create(path="/music/new.flac", size=1, mtime_ns=1)
    assert added.id > max(track["id"] for track in TRACKS)  # the sequence survived


def test_an_upgraded_0_1_0_library_has_the_schema_of_a_new_one(
    new_database: Callable[[], str],
) -> None:
    old, new = new_database(), new_database()
    _released_library(old)
    upgraded = _schema(open_database(old, UNUSED))
    created = _schema(open_database(new, UNUSED))
    assert {"track", "fingerprint", "schema_version", "playlist", "annotation"} <= set(created)
    assert upgraded == created
