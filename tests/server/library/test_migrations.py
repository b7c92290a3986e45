"""Schema migrations: a 0.1.0 library upgrades without losing a row; the runner's guarantees."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import peewee
import pytest
from playhouse.migrate import SchemaMigrator

from auralis_server.library.migrations import (
    DatabaseTooNew,
    Migration,
    MigrationFailed,
    SchemaError,
    latest_version,
    migrate,
    schema_version,
)
from auralis_server.library.models import (
    MODELS,
    SQLITE_PRAGMAS,
    Fingerprint,
    Track,
    close_database,
    database,
    open_database,
)
from auralis_server.library.queries import search_tracks

SCHEMA_0_1_0 = Path(__file__).parent / "fixtures" / "schema_0_1_0.sql"


def _track(track_id: int, status: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": track_id,
        "path": f"/music/Ålbum/{track_id:02d} {status}.flac",
        "size": 30_000_000 + track_id,
        "mtime_ns": 1_700_000_000_123_456_789 + track_id,
        "title": f"Sóng {track_id}",
        "artist": "Björk",
        "album": "Ålbum",
        "album_artist": None,
        "track_no": track_id,
        "disc_no": 1,
        "year": 1997,
        "genre": "Electronic",
        "duration": 181.25,
        "total_frames": 7_993_125,
        "sample_rate": 44100,
        "channels": 2,
        "codec": "FLAC",
        "added_at": dt.datetime(2025, 3, 1, 12, 0, track_id, 250_000),
        "scan_error": None,
        "fingerprint_status": status,
        "fingerprint_computed_at": None,
        "fingerprint_error": None,
    }
    return row | changes


COMPUTED = dt.datetime(2025, 3, 2, 8, 30, 0, 500_000)
TRACKS = [
    _track(1, "pending"),
    _track(2, "processing"),
    _track(3, "complete", fingerprint_computed_at=COMPUTED),
    _track(4, "complete", fingerprint_computed_at=COMPUTED, album_artist="Various"),
    _track(5, "complete", fingerprint_computed_at=COMPUTED, track_no=None, year=None),
    _track(6, "error", fingerprint_error="decoding failed: unexpected end of stream"),
    _track(
        7,
        "error",
        scan_error="cannot read /music/broken.flac: not a FLAC file",
        **dict.fromkeys(("title", "duration", "total_frames", "sample_rate", "channels"), None),
        codec=None,
    ),
]


def _fingerprint(track_id: int, source: str) -> dict[str, Any]:
    vector = np.random.default_rng(track_id).standard_normal(25).astype("<f4").tobytes()
    return {
        "id": track_id * 10,
        "track": track_id,
        "vector": vector,
        "algorithm_version": 3,
        "source": source,
        "sha256": hashlib.sha256(vector).hexdigest(),
        "computed_at": COMPUTED,
    }


FINGERPRINTS = [_fingerprint(3, "rust"), _fingerprint(4, "python"), _fingerprint(5, "sidecar")]


def _insert(db: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    """Write a row as 0.1.0 stored it: peewee kept datetimes as ISO text with a space."""
    row = {("track_id" if k == "track" else k): v for k, v in row.items()}
    values = [str(v) if isinstance(v, dt.datetime) else v for v in row.values()]
    marks = ", ".join("?" * len(row))
    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", values)


def released_library(path: Path) -> Path:
    """A library file exactly as 0.1.0 made and filled it, built without today's models."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(SCHEMA_0_1_0.read_text())
        for track in TRACKS:
            _insert(db, "track", track)
        for fingerprint in FINGERPRINTS:
            _insert(db, "fingerprint", fingerprint)
        db.commit()
    return path


@pytest.fixture
def opened() -> Iterator[None]:
    yield
    close_database()


LATER_COLUMNS = ("search", "play_count", "last_played", "starred_at", "rating")
"""Track columns added after 0.1.0 (v2's derived search text, v3's plays, v4's stars)."""
LATER_FINGERPRINT_COLUMNS = ("loudness_histogram", "true_peak", "level_profile")
"""Fingerprint columns added after 0.1.0 (v5's block-loudness histogram, v7's true peak, v8's
level profile)."""


def _library_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows as 0.1.0 knew them (the columns added since left out)."""
    tracks = list(Track.select().order_by(Track.id).dicts())
    return (
        [{k: v for k, v in row.items() if k not in LATER_COLUMNS} for row in tracks],
        [
            {k: v for k, v in row.items() if k not in LATER_FINGERPRINT_COLUMNS}
            for row in Fingerprint.select().order_by(Fingerprint.id).dicts()
        ],
    )


def _schema(db: peewee.Database) -> dict[str, Any]:
    """Tables, columns, indexes and foreign keys as peewee introspects them on any dialect."""
    return {
        table: (
            sorted(
                (c.name, c.data_type.upper(), c.null, c.primary_key, c.default)
                for c in db.get_columns(table)
            ),
            sorted((i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table)),
            sorted((f.column, f.dest_table, f.dest_column) for f in db.get_foreign_keys(table)),
        )
        for table in db.get_tables()
    }


def test_a_0_1_0_library_upgrades_with_every_row_intact(tmp_path: Path, opened: None) -> None:
    path = released_library(tmp_path / "auralis.db")
    db = open_database(None, path)
    assert schema_version(db) == latest_version()
    assert _library_rows() == (TRACKS, FINGERPRINTS)
    vector = np.frombuffer(Fingerprint.get(Fingerprint.track == 4).vector, dtype="<f4")
    assert np.array_equal(vector, np.random.default_rng(4).standard_normal(25).astype(np.float32))

    close_database()
    schema = _schema(open_database(None, path))
    close_database()
    with contextlib.closing(sqlite3.connect(path)) as observer:
        commits = observer.execute("PRAGMA data_version").fetchone()
        db = open_database(None, path)  # opening again changes nothing
        assert observer.execute("PRAGMA data_version").fetchone() == commits
    assert (_schema(db), schema_version(db)) == (schema, latest_version())
    assert _library_rows() == (TRACKS, FINGERPRINTS)

    Track.delete_by_id(3)  # the upgraded schema still cascades
    assert [f.track_id for f in Fingerprint.select()] == [4, 5]


def test_an_upgraded_0_1_0_library_has_the_schema_of_a_new_one(
    tmp_path: Path, opened: None
) -> None:
    upgraded = _schema(open_database(None, released_library(tmp_path / "old.db")))
    close_database()
    created = _schema(open_database(None, tmp_path / "new.db"))
    assert {"track", "fingerprint", "schema_version"} <= set(created)
    assert {"playstate", "playlist", "playlist_entry"} <= set(created)
    assert upgraded == created


def test_an_upgraded_library_has_no_plays_and_its_playlists_follow_the_tracks(
    tmp_path: Path, opened: None
) -> None:
    db = open_database(None, released_library(tmp_path / "auralis.db"))
    plays = db.execute_sql("SELECT play_count, last_played FROM track").fetchall()
    assert plays == [(0, None)] * len(TRACKS)
    db.execute_sql("INSERT INTO playlist (id, name, created_at, updated_at) VALUES (1, 'p', 0, 0)")
    for position, track_id in enumerate((3, 5, 3)):
        db.execute_sql(
            "INSERT INTO playlist_entry (playlist_id, position, track_id) VALUES (1, ?, ?)",
            (position, track_id),
        )
    Track.delete_by_id(3)  # a rescan removing a file drops its entries, keeps the rest
    assert db.execute_sql("SELECT position, track_id FROM playlist_entry").fetchall() == [(1, 5)]
    db.execute_sql("DELETE FROM playlist WHERE id = 1")
    assert db.execute_sql("SELECT COUNT(*) FROM playlist_entry").fetchone() == (0,)


def test_an_upgraded_library_has_no_stars_and_keeps_album_stars_by_name(
    tmp_path: Path, opened: None
) -> None:
    db = open_database(None, released_library(tmp_path / "auralis.db"))
    stars = db.execute_sql("SELECT starred_at, rating FROM track").fetchall()
    assert stars == [(None, None)] * len(TRACKS)
    db.execute_sql("INSERT INTO annotation (kind, key, rating) VALUES ('album', 'Ålbum', 4)")
    with pytest.raises(peewee.IntegrityError):  # one annotation per album
        db.execute_sql("INSERT INTO annotation (kind, key, rating) VALUES ('album', 'Ålbum', 2)")


def test_upgraded_fingerprints_have_no_loudness_histogram_yet(tmp_path: Path, opened: None) -> None:
    open_database(None, released_library(tmp_path / "auralis.db"))
    histograms = [row.loudness_histogram for row in Fingerprint.select()]
    assert histograms == [None] * len(FINGERPRINTS)  # measured on the first album play
    assert [row.true_peak for row in Fingerprint.select()] == [None] * len(FINGERPRINTS)
    assert [row.level_profile for row in Fingerprint.select()] == [None] * len(FINGERPRINTS)


def test_the_upgrade_fills_the_folded_search_column_of_every_row(
    tmp_path: Path, opened: None
) -> None:
    db = open_database(None, released_library(tmp_path / "auralis.db"))
    search = dict(db.execute_sql("SELECT id, search FROM track ORDER BY id").fetchall())
    assert search[1] == "song 1\nbjork\nalbum\n/music/album/01 pending.flac"
    assert search[7] == "bjork\nalbum\n/music/album/07 error.flac"  # no title: not read
    assert set(search) == {t["id"] for t in TRACKS}
    columns = {c.name: c for c in db.get_columns("track")}
    assert columns["search"].null is False
    every = sorted(t["id"] for t in TRACKS)
    for query in ("BJÖRK", "bjork", "ålbum", "ALBUM", "SÓNG 4"):
        _, found, _, _ = search_tracks({"q": query, "limit": "100"})
        assert sorted(t.id for t in found) == ([4] if "4" in query else every), query


def test_a_new_library_starts_at_the_newest_version(tmp_path: Path, opened: None) -> None:
    db = open_database(None, tmp_path / "new.db")
    assert schema_version(db) == latest_version()
    assert db.execute_sql("SELECT version FROM schema_version").fetchall() == [(latest_version(),)]


def _stamp(path: Path, version: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE schema_version SET version = ?", (version,))
        db.commit()


def _dump(path: Path) -> list[Any]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master")]
        tracks = db.execute("SELECT * FROM track ORDER BY id").fetchall()
        return [tables, tracks, db.execute("SELECT * FROM schema_version").fetchall()]


def test_a_library_newer_than_the_code_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = released_library(tmp_path / "auralis.db")
    open_database(None, path)
    close_database()
    _stamp(path, latest_version() + 1)
    before = _dump(path)
    with pytest.raises(DatabaseTooNew, match=rf"version {latest_version() + 1}, newer than"):
        open_database(None, path)
    assert database.is_closed()
    assert _dump(path) == before


@pytest.mark.parametrize(
    "command",
    [
        ["scan", "--music", "."],
        ["fingerprint", "--all"],
        ["serve", "--music", ".", "--port", "0", "--no-scan"],
    ],
)
def test_the_cli_refuses_a_newer_library_in_one_line(tmp_path: Path, command: list[str]) -> None:
    open_database(None, tmp_path / "auralis.db")
    close_database()
    _stamp(tmp_path / "auralis.db", latest_version() + 1)
    result = subprocess.run(
        [sys.executable, "-m", "auralis_server.cli", "--data-dir", str(tmp_path), *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # the music folder "." is this empty one
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "newer than this Auralis understands" in result.stderr


def _sqlite(path: Path) -> peewee.SqliteDatabase:
    return peewee.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS)


def _rows(db: peewee.Database, table: str) -> list[tuple[Any, ...]]:
    return db.execute_sql(f"SELECT * FROM {table} ORDER BY id").fetchall()


def _add_rating(migrator: SchemaMigrator) -> None:
    migrator.migrate(migrator.add_column("track", "rating", peewee.IntegerField(default=0)))


def _add_playlists(migrator: SchemaMigrator) -> None:
    class Playlist(peewee.Model):  # frozen as this step made it
        name = peewee.TextField(unique=True)

        class Meta:
            database = migrator.database
            table_name = "playlist"

    Playlist.create_table()


def test_steps_run_in_order_once_each_and_advance_the_version(tmp_path: Path) -> None:
    ran: list[int] = []
    steps = (
        Migration(2, "track rating", lambda m: (ran.append(2), _add_rating(m))[-1]),
        Migration(3, "playlists", lambda m: (ran.append(3), _add_playlists(m))[-1]),
    )
    db = _sqlite(released_library(tmp_path / "auralis.db"))
    tracks = _rows(db, "track")
    assert migrate(db, MODELS, steps[:1]) == 2
    assert migrate(db, MODELS, steps) == 3
    assert migrate(db, MODELS, steps) == 3
    assert ran == [2, 3]
    assert schema_version(db) == 3
    assert _rows(db, "track") == [(*row, 0) for row in tracks]
    assert db.table_exists("playlist")
    assert db.pragma("foreign_keys") == 1


def test_a_failing_step_rolls_back_every_step_of_the_run(tmp_path: Path) -> None:
    def fail(migrator: SchemaMigrator) -> None:
        raise RuntimeError("disk on fire")

    db = _sqlite(released_library(tmp_path / "auralis.db"))
    before = _schema(db), _rows(db, "track"), _rows(db, "fingerprint")
    steps = (Migration(2, "track rating", _add_rating), Migration(3, "doomed", fail))
    message = r"migration 3 \(doomed\) failed: disk on fire; .* unchanged at schema version 1$"
    with pytest.raises(MigrationFailed, match=message):
        migrate(db, MODELS, steps)
    assert (_schema(db), _rows(db, "track"), _rows(db, "fingerprint")) == before
    assert schema_version(db) == 1
    assert db.pragma("foreign_keys") == 1


def test_a_sqlite_table_rebuild_keeps_the_rows_that_reference_it(tmp_path: Path) -> None:
    def retype_year(migrator: SchemaMigrator) -> None:  # SQLite copies, drops and renames track
        migrator.migrate(migrator.alter_column_type("track", "year", peewee.TextField(null=True)))

    db = _sqlite(released_library(tmp_path / "auralis.db"))
    fingerprints = _rows(db, "fingerprint")
    migrate(db, MODELS, (Migration(2, "year as text", retype_year),))
    assert _rows(db, "fingerprint") == fingerprints
    db.execute_sql("DELETE FROM track WHERE id = 3")
    assert [row[0] for row in _rows(db, "fingerprint")] == [40, 50]  # still cascades


def test_a_step_that_orphans_rows_is_rolled_back(tmp_path: Path) -> None:
    def orphan(migrator: SchemaMigrator) -> None:
        migrator.database.execute_sql("DELETE FROM track WHERE id = 3")

    db = _sqlite(released_library(tmp_path / "auralis.db"))
    with pytest.raises(SchemaError, match="foreign key points nowhere"):
        migrate(db, MODELS, (Migration(2, "orphan", orphan),))
    assert [row[0] for row in _rows(db, "track")] == [t["id"] for t in TRACKS]


def test_a_version_table_without_exactly_one_row_is_refused(tmp_path: Path) -> None:
    db = _sqlite(tmp_path / "auralis.db")
    migrate(db, MODELS)
    db.execute_sql("INSERT INTO schema_version (version) VALUES (1)")
    with pytest.raises(SchemaError, match="schema_version holds 2 rows instead of one"):
        migrate(db, MODELS)


def test_steps_must_be_numbered_from_2_without_gaps() -> None:
    with pytest.raises(ValueError, match=r"must run \[2, 3\]"):
        latest_version((Migration(2, "a", _add_rating), Migration(4, "b", _add_rating)))
