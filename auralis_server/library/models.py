"""The library schema (SPEC §3) on peewee: SQLite by default, any playhouse.db_url database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import peewee
from playhouse.db_url import connect

from auralis_server.library.migrations import migrate

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 10_000,
    "foreign_keys": 1,
    "synchronous": "normal",
}

FINGERPRINT_STATUSES = ("pending", "processing", "complete", "error")
FINGERPRINT_SOURCES = ("rust", "python", "sidecar")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class BaseModel(peewee.Model):
    class Meta:
        database = database


class Track(BaseModel):
    """One audio file. Times are UTC; ``scan_error`` is set when the file cannot be read."""

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
    duration = peewee.FloatField(null=True)  # seconds
    total_frames = peewee.BigIntegerField(null=True)
    sample_rate = peewee.IntegerField(null=True)  # Hz
    channels = peewee.IntegerField(null=True)
    codec = peewee.TextField(null=True)
    added_at = peewee.DateTimeField(default=utc_now)
    scan_error = peewee.TextField(null=True)
    fingerprint_status = peewee.CharField(
        max_length=16, default="pending", index=True, choices=[(s, s) for s in FINGERPRINT_STATUSES]
    )
    fingerprint_computed_at = peewee.DateTimeField(null=True)
    fingerprint_error = peewee.TextField(null=True)
    # folding.search_text of title, artist, album and path: what ``q`` matches (schema v2)
    search = peewee.TextField(default="", constraints=[peewee.SQL("DEFAULT ''")])

    class Meta:
        # The default (artist) order of a listing, read in order instead of sorted (schema v2).
        indexes = ((("artist", "album", "disc_no", "track_no", "title"), False),)


class Fingerprint(BaseModel):
    """The 25-value vector (float32 LE, SPEC §4 order) of one track."""

    track = peewee.ForeignKeyField(Track, unique=True, on_delete="CASCADE", backref="fingerprints")
    vector = peewee.BlobField()
    algorithm_version = peewee.IntegerField()
    source = peewee.CharField(max_length=16, choices=[(s, s) for s in FINGERPRINT_SOURCES])
    sha256 = peewee.CharField(max_length=64)
    computed_at = peewee.DateTimeField(default=utc_now)


MODELS: tuple[type[BaseModel], ...] = (Track, Fingerprint)


def open_database(database_url: str | None, sqlite_path: Path) -> peewee.Database:
    """Bind the models to the configured database and bring its schema to this code's version.

    Raises ``migrations.SchemaError`` (a ``ConfigError``: one line for the user) when the
    database is newer than the code or a migration fails; the database is then unchanged.
    """
    if database_url:
        if database_url.startswith("sqlite"):
            db = connect(database_url, pragmas=SQLITE_PRAGMAS)
        else:
            db = connect(database_url)
    else:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        db = peewee.SqliteDatabase(str(sqlite_path), pragmas=SQLITE_PRAGMAS)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    try:
        migrate(db, MODELS)
    except BaseException:
        db.close()
        raise
    return db


def close_database() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()
