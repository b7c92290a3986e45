"""Numbered schema migrations, run by ``open_database`` at start-up in one transaction (SPEC §3).

Version 1 is the schema Auralis 0.1.0 released (kept verbatim in
``tests/server/fixtures/schema_0_1_0.sql``). 0.1.0 wrote no version, so a database holding its
tables and no ``schema_version`` table is at version 1.

Changing ``models.py`` means appending a `Migration` with the next number that brings a
database of the previous version to the models' shape: ``playhouse.migrate`` operations on the
migrator it is given, or a frozen copy of a new model passed to ``create_tables`` — never the
live models, which will have moved on by the time an old database meets the step. A fresh
database is created from the models and stamped with the newest version; a test proves both
roads lead to the same schema. Any difference between SQLite and PostgreSQL stays in the
dialect branches of `_one_writer`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import peewee
from playhouse.migrate import SchemaMigrator

from auralis_server.config import ConfigError
from auralis_server.library.folding import SEARCH_FIELDS, search_text

log = logging.getLogger("auralis.library")

RELEASED_0_1_0 = 1
"""The version of a database made by 0.1.0, which recorded none."""
RELEASED_0_1_0_TABLES = ("track", "fingerprint")

_PG_LOCK_KEY = 0x6175_7261_6C69_73  # "auralis": one migrating server per PostgreSQL database


@dataclass(frozen=True)
class Migration:
    """One step: brings a database at ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[SchemaMigrator], None]


_FILL_BATCH = 250  # rows per UPDATE: 3 parameters each stay under SQLite's old 999 limit


def _add_search_column(migrator: SchemaMigrator) -> None:
    """Version 2: ``track.search``, the folded text a query matches, filled for every row,
    and the index the default (artist) order of a listing reads instead of sorting.

    Filled in batches (one ``UPDATE … CASE`` per batch, so PostgreSQL pays one round trip
    per 250 rows, not per row).
    """

    db = migrator.database
    mark = db.param
    # NOT NULL DEFAULT '' at once: SQLite and PostgreSQL add it without rewriting the table.
    column = peewee.TextField(default="", constraints=[peewee.SQL("DEFAULT ''")])
    migrator.migrate(migrator.add_column("track", "search", column, allow_not_null=True))
    # Plain SQL on the v2 columns (frozen here): peewee's query objects cost more than the fold.
    read = ", ".join(f'"{name}"' for name in ("id", *SEARCH_FIELDS))
    last_id = 0
    while True:
        rows = db.execute_sql(
            f'SELECT {read} FROM "track" WHERE "id" > {mark} ORDER BY "id" LIMIT {mark}',
            (last_id, _FILL_BATCH),
        ).fetchall()
        if not rows:
            break
        cases = " ".join(f"WHEN {mark} THEN {mark}" for _ in rows)
        marks = ", ".join(mark for _ in rows)
        params: list[object] = []
        for row in rows:
            params += [row[0], search_text(row[1:])]
        params += [row[0] for row in rows]
        db.execute_sql(
            f'UPDATE "track" SET "search" = CASE "id" {cases} END WHERE "id" IN ({marks})',
            params,
        )
        last_id = rows[-1][0]
    migrator.migrate(
        migrator.add_index("track", ("artist", "album", "disc_no", "track_no", "title"), False)
    )


def _add_plays_and_playlists(migrator: SchemaMigrator) -> None:
    """Version 3: ``track.play_count`` and ``last_played``, the one-row ``playstate`` and the
    ``playlist`` and ``playlist_entry`` tables, from copies of the models frozen as they were."""

    db = migrator.database
    plays = peewee.IntegerField(default=0, constraints=[peewee.SQL("DEFAULT 0")])
    migrator.migrate(
        migrator.add_column("track", "play_count", plays, allow_not_null=True),
        migrator.add_column("track", "last_played", peewee.DateTimeField(null=True)),
    )

    class Frozen(peewee.Model):
        class Meta:
            database = db

    class Track(Frozen):  # only what the foreign keys need
        pass

    class PlayState(Frozen):
        queue = peewee.TextField(default="[]")
        queue_index = peewee.IntegerField(null=True)
        position_s = peewee.FloatField(default=0.0)
        shuffle = peewee.CharField(max_length=8, default="off")
        repeat = peewee.CharField(max_length=8, default="off")
        preset = peewee.TextField(null=True)
        intensity = peewee.FloatField(null=True)
        volume = peewee.FloatField(null=True)
        updated_at = peewee.DateTimeField()

        class Meta:
            table_name = "playstate"

    class Playlist(Frozen):
        name = peewee.TextField(unique=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

    class PlaylistEntry(Frozen):
        playlist = peewee.ForeignKeyField(Playlist, on_delete="CASCADE")
        position = peewee.IntegerField()
        track = peewee.ForeignKeyField(Track, on_delete="CASCADE")

        class Meta:
            table_name = "playlist_entry"
            primary_key = peewee.CompositeKey("playlist", "position")

    for model in (PlayState, Playlist, PlaylistEntry):
        model.create_table(safe=False)


def _add_stars_and_ratings(migrator: SchemaMigrator) -> None:
    """Version 4: ``track.starred_at`` and ``track.rating`` (what Subsonic clients star and
    rate), and the ``annotation`` table holding the stars and ratings of albums and artists,
    which have no rows of their own: they are keyed by kind and name."""

    db = migrator.database
    migrator.migrate(
        migrator.add_column("track", "starred_at", peewee.DateTimeField(null=True)),
        migrator.add_column("track", "rating", peewee.IntegerField(null=True)),
    )

    class Annotation(peewee.Model):
        kind = peewee.CharField(max_length=8)
        key = peewee.TextField()
        starred_at = peewee.DateTimeField(null=True)
        rating = peewee.IntegerField(null=True)

        class Meta:
            database = db
            table_name = "annotation"
            primary_key = peewee.CompositeKey("kind", "key")

    Annotation.create_table(safe=False)


def _add_loudness_histogram(migrator: SchemaMigrator) -> None:
    """Version 5: ``fingerprint.loudness_histogram``, each track's block-loudness counts for
    album loudness; NULL (measured on demand) for the fingerprints stored before it."""
    migrator.migrate(
        migrator.add_column("fingerprint", "loudness_histogram", peewee.BlobField(null=True))
    )


def _add_fingerprint_jobs(migrator: SchemaMigrator) -> None:
    """Version 6: the ``fingerprint_job`` table through which replicas sharing one database
    claim fingerprint work with a lease instead of each assuming it is alone."""

    db = migrator.database

    class Track(peewee.Model):  # only what the foreign key needs
        class Meta:
            database = db

    class FingerprintJob(peewee.Model):
        track = peewee.ForeignKeyField(Track, primary_key=True, on_delete="CASCADE")
        priority = peewee.IntegerField(default=1)
        force = peewee.BooleanField(default=False)
        attempts = peewee.IntegerField(default=0)
        retry_at = peewee.DateTimeField(null=True)
        claimed_by = peewee.TextField(null=True)
        lease_expires_at = peewee.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "fingerprint_job"

    FingerprintJob.create_table(safe=False)


def _add_true_peak(migrator: SchemaMigrator) -> None:
    """Version 7: ``fingerprint.true_peak``, each track's largest true peak (linear) for the
    ReplayGain peaks Subsonic clients read; NULL for the fingerprints stored before it."""
    migrator.migrate(migrator.add_column("fingerprint", "true_peak", peewee.FloatField(null=True)))


def _add_level_profile(migrator: SchemaMigrator) -> None:
    """Version 8: ``fingerprint.level_profile``, each track's spectrum and compressor-level
    distribution (mastering.profile) for the level stage; NULL until measured (the first plan
    of the track measures it)."""
    migrator.migrate(
        migrator.add_column("fingerprint", "level_profile", peewee.BlobField(null=True))
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "folded search text of every track", _add_search_column),
    Migration(3, "play counts, play state and playlists", _add_plays_and_playlists),
    Migration(4, "stars and ratings", _add_stars_and_ratings),
    Migration(5, "block-loudness histograms for album loudness", _add_loudness_histogram),
    Migration(6, "fingerprint jobs claimed with a lease", _add_fingerprint_jobs),
    Migration(7, "true peaks for ReplayGain", _add_true_peak),
    Migration(8, "level profiles for the mastering level stage", _add_level_profile),
)
"""Every step after 0.1.0's schema, in order."""


class SchemaError(ConfigError):
    """The database cannot be brought to this code's schema; the message is one line."""


class DatabaseTooNew(SchemaError):
    """A newer Auralis has upgraded this database; this code must not touch it."""


class MigrationFailed(SchemaError):
    """A step raised; the transaction rolled back, so the database is as it was."""


class SchemaVersion(peewee.Model):
    """The one row naming the version the schema is at."""

    version = peewee.IntegerField()

    class Meta:
        table_name = "schema_version"
        primary_key = False


def latest_version(steps: Sequence[Migration] = MIGRATIONS) -> int:
    """The version this code's models are at."""
    expected = list(range(RELEASED_0_1_0 + 1, RELEASED_0_1_0 + 1 + len(steps)))
    if [step.version for step in steps] != expected:
        raise ValueError(f"migration versions must run {expected}, one step each")
    return steps[-1].version if steps else RELEASED_0_1_0


def schema_version(db: peewee.Database) -> int | None:
    """The version ``db`` is at, or None when it holds none of the library's tables."""
    if db.table_exists(SchemaVersion._meta.table_name):
        with db.bind_ctx((SchemaVersion,)):
            versions = [row.version for row in SchemaVersion.select()]
        if len(versions) != 1:
            raise SchemaError(f"schema_version holds {len(versions)} rows instead of one")
        return versions[0]
    if any(db.table_exists(table) for table in RELEASED_0_1_0_TABLES):
        return RELEASED_0_1_0
    return None


def migrate(
    db: peewee.Database,
    models: Sequence[type[peewee.Model]],
    steps: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Bring ``db`` to the newest version in one transaction and return that version.

    An empty database gets ``models``' tables; an older one runs the steps it lacks; a newer
    one raises `DatabaseTooNew` and a failing step `MigrationFailed`, both leaving it untouched.
    """
    latest = latest_version(steps)
    with db.bind_ctx((SchemaVersion,)):
        if SchemaVersion.table_exists() and schema_version(db) == latest:
            return latest  # the usual start: nothing to lock, nothing to write
    with _one_writer(db), db.bind_ctx((SchemaVersion,)):
        found = schema_version(db)  # again: another server may have migrated meanwhile
        if found is None:
            db.create_tables(models)
        elif found > latest:
            raise DatabaseTooNew(
                f"the library database is at schema version {found}, newer than this "
                f"Auralis understands ({latest}); upgrade Auralis to use it"
            )
        else:
            _run_steps(db, [step for step in steps if step.version > found], found)
        if not SchemaVersion.table_exists():
            SchemaVersion.create_table()
            SchemaVersion.insert(version=latest).execute()
        elif found != latest:
            SchemaVersion.update(version=latest).execute()
    if found != latest:
        log.info("library schema: version %s -> %d", found or "(new)", latest)
    return latest


def _run_steps(db: peewee.Database, pending: Sequence[Migration], found: int) -> None:
    migrator = SchemaMigrator.from_database(db)
    for step in pending:
        try:
            step.apply(migrator)
        except Exception as exc:
            raise MigrationFailed(
                f"migration {step.version} ({step.description}) failed: {exc}; "
                f"the library database is unchanged at schema version {found}"
            ) from exc


@contextlib.contextmanager
def _one_writer(db: peewee.Database) -> Iterator[None]:
    """One transaction that no other server migrates alongside, and that keeps every row.

    SQLite: an immediate (write-locked) transaction with foreign keys off, since a table
    rebuild drops the old table and a cascading foreign key would delete the rows that
    point at it; the pragma only changes outside a transaction, and the keys are checked
    before commit instead. PostgreSQL: a transaction-scoped advisory lock.
    """
    if isinstance(db, peewee.SqliteDatabase):
        foreign_keys = db.pragma("foreign_keys")
        db.pragma("foreign_keys", 0)
        try:
            with db.atomic("IMMEDIATE"):
                yield
                if db.execute_sql("PRAGMA foreign_key_check").fetchone() is not None:
                    raise SchemaError("the migration left rows whose foreign key points nowhere")
        finally:
            db.pragma("foreign_keys", foreign_keys)
    elif isinstance(db, peewee.PostgresqlDatabase):
        with db.atomic():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
            yield
    else:
        with db.atomic():
            yield
