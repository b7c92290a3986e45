"""The library schema (SPEC §3) on peewee: SQLite by default, any playhouse.db_url database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import peewee
from playhouse.db_url import connect, parse
from playhouse.pool import PooledDatabase

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
    # Plays the client reported (schema v3): what "recently / most played" read.
    play_count = peewee.IntegerField(default=0, constraints=[peewee.SQL("DEFAULT 0")])
    last_played = peewee.DateTimeField(null=True)
    # Stars and ratings (1-5) Subsonic clients set (schema v4).
    starred_at = peewee.DateTimeField(null=True)
    rating = peewee.IntegerField(null=True)

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
    # BS.1770 block-loudness counts (audio.loudness.pack_histogram) for album loudness; NULL
    # until measured: the Python job stores it, other sources leave it to the first album play
    # (schema v5).
    loudness_histogram = peewee.BlobField(null=True)
    # The largest true peak of the track (linear, 1.0 = full scale; 4x oversampled,
    # mastering.true_peak), for Subsonic's ReplayGain peaks; NULL until measured: the Python
    # job stores it, other sources leave it out (schema v7).
    true_peak = peewee.FloatField(null=True)
    # Third-octave energies and the compressor detector's level distribution
    # (mastering.profile.LevelProfile.pack) for the level stage's estimate; NULL until
    # measured: the Python job stores it, the first plan of a track from another source
    # measures it (schema v8).
    level_profile = peewee.BlobField(null=True)


class FingerprintJob(BaseModel):
    """A track's place in the shared fingerprint queue (schema v6): how urgent it is, and which
    replica holds it until when. A row exists only while the track is queued with a priority or
    attempt count of its own, or claimed; a claim whose lease has expired is anyone's to take."""

    track = peewee.ForeignKeyField(Track, primary_key=True, on_delete="CASCADE")
    priority = peewee.IntegerField(default=1)  # 0: about to play; 1: the backlog
    force = peewee.BooleanField(default=False)  # recompute even if a current vector exists
    attempts = peewee.IntegerField(default=0)  # claims since the last success or failure
    retry_at = peewee.DateTimeField(null=True)  # UTC; not claimable before (backoff)
    claimed_by = peewee.TextField(null=True)  # replica id
    lease_expires_at = peewee.DateTimeField(null=True)  # UTC

    class Meta:
        table_name = "fingerprint_job"


SHUFFLE_MODES = ("off", "tracks", "albums")
REPEAT_MODES = ("off", "all", "one")


class PlayState(BaseModel):
    """The one row of what the player was doing (schema v3): the server has one user, and a
    client on another machine resumes from it. ``queue`` is a JSON list of track ids."""

    queue = peewee.TextField(default="[]")
    queue_index = peewee.IntegerField(null=True)  # into the queue; None: nothing current
    position_s = peewee.FloatField(default=0.0)
    shuffle = peewee.CharField(max_length=8, default="off")
    repeat = peewee.CharField(max_length=8, default="off")
    preset = peewee.TextField(null=True)
    intensity = peewee.FloatField(null=True)
    volume = peewee.FloatField(null=True)
    updated_at = peewee.DateTimeField(default=utc_now)

    class Meta:
        table_name = "playstate"


class Playlist(BaseModel):
    """A saved, named list of tracks (schema v3)."""

    name = peewee.TextField(unique=True)
    created_at = peewee.DateTimeField(default=utc_now)
    updated_at = peewee.DateTimeField(default=utc_now)


class PlaylistEntry(BaseModel):
    """One place in a playlist. A track the scanner removes takes its entries with it (the
    cascade), so a playlist never names a missing track; positions may then have gaps."""

    playlist = peewee.ForeignKeyField(Playlist, on_delete="CASCADE", backref="entries")
    position = peewee.IntegerField()
    track = peewee.ForeignKeyField(Track, on_delete="CASCADE")

    class Meta:
        table_name = "playlist_entry"
        primary_key = peewee.CompositeKey("playlist", "position")


ANNOTATION_KINDS = ("album", "artist")


class Annotation(BaseModel):
    """The star and rating of an album or artist (schema v4). Neither has a row of its own:
    ``key`` is the name the library groups tracks by ("" for tracks without the tag)."""

    kind = peewee.CharField(max_length=8)
    key = peewee.TextField()
    starred_at = peewee.DateTimeField(null=True)
    rating = peewee.IntegerField(null=True)

    class Meta:
        table_name = "annotation"
        primary_key = peewee.CompositeKey("kind", "key")


MODELS: tuple[type[BaseModel], ...] = (
    Track,
    Fingerprint,
    PlayState,
    Playlist,
    PlaylistEntry,
    Annotation,
    FingerprintJob,
)


POSTGRESQL_SCHEMES = ("postgres://", "postgresql://", "psycopg3://")
POSTGRESQL_POOL_CONNECTIONS = 64
"""More than the request threads (anyio's 40) plus scan and fingerprint workers, which each
keep the connection their thread opened; PostgreSQL's default limit is 100."""
POSTGRESQL_POOL_WAIT_S = 30


def _postgresql(database_url: str) -> peewee.Database:
    """psycopg 3, pooled: a connection is reused by the next thread rather than reopened."""
    from playhouse.postgres_ext import PooledPsycopg3Database

    return PooledPsycopg3Database(
        **parse(database_url),
        max_connections=POSTGRESQL_POOL_CONNECTIONS,
        timeout=POSTGRESQL_POOL_WAIT_S,
    )


def _connect(database_url: str | None, sqlite_path: Path) -> peewee.Database:
    if not database_url:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(str(sqlite_path), pragmas=SQLITE_PRAGMAS)
    if database_url.startswith("sqlite"):
        return connect(database_url, pragmas=SQLITE_PRAGMAS)
    if database_url.startswith(POSTGRESQL_SCHEMES):
        return _postgresql(database_url)
    return connect(database_url)


_bound_to: tuple[str | None, Path] | None = None
"""What the bound database was opened as (URL, SQLite path): opening it again keeps it."""


def open_database(database_url: str | None, sqlite_path: Path) -> peewee.Database:
    """Bind the models to the configured database and bring its schema to this code's version.

    Opening the database already bound keeps it, so other threads' connections and open
    transactions stay valid (a new database object under a running transaction gave its next
    statement a new connection, which waited on its own thread's lock); opening another
    closes the old one (a pool retires all its connections).

    Raises ``migrations.SchemaError`` (a ``ConfigError``: one line for the user) when the
    database is newer than the code or a migration fails; the database is then unchanged.
    """
    global _bound_to
    current = database.obj
    target = (database_url, sqlite_path.resolve())
    if current is not None and _bound_to == target:
        db = current
    else:
        close_database()
        db = _connect(database_url, sqlite_path)
        _bound_to = target
    database.initialize(db)
    db.connect(reuse_if_open=True)
    try:
        migrate(db, MODELS)
    except BaseException:
        close_database()
        raise
    return db


def close_database() -> None:
    """Close this thread's connection; a pool closes every connection it opened, so a
    stopped server (or a dropped test database) leaves none behind."""
    db = database.obj
    if isinstance(db, PooledDatabase):
        db.close_all()
    elif db is not None and not db.is_closed():
        db.close()
