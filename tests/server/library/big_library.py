"""A library of thousands of tracks written straight into the database (no audio files).

Listing, paging and browsing only read rows, so tests of a library bigger than an API page
build one here in a fraction of a second instead of writing and scanning thousands of files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from auralis_server.library.folding import SEARCH_FIELDS, search_text
from auralis_server.library.models import Track, database

TRACKS_PER_ALBUM = 10
ALBUMS_PER_ARTIST = 10
UNTAGGED_EVERY = 97  # every 97th track has no artist, album, number or year
SAMPLE_RATE_HZ = 8000


def big_library_rows(count: int) -> list[dict[str, Any]]:
    """``count`` rows: artists of 10 albums of 10 tracks, some untagged, tied sort keys."""
    added = dt.datetime(2025, 1, 1)
    rows = []
    for i in range(count):
        album_no = i // TRACKS_PER_ALBUM
        untagged = i % UNTAGGED_EVERY == UNTAGGED_EVERY - 1
        row: dict[str, Any] = {
            "path": f"/music/big/{i:06d}.flac",
            "size": 1000 + i,
            "mtime_ns": 1_700_000_000_000_000_000 + i,
            "title": f"Song {i:06d}",
            "artist": None if untagged else f"Artist {album_no // ALBUMS_PER_ARTIST:04d}",
            "album": None if untagged else f"Record {album_no:05d}",
            "track_no": None if untagged else i % TRACKS_PER_ALBUM + 1,
            "disc_no": 1,
            "year": None if untagged else 1960 + album_no % 60,
            "duration": float(30 + i % 7),  # many ties: the id decides
            "total_frames": SAMPLE_RATE_HZ * (30 + i % 7),
            "sample_rate": SAMPLE_RATE_HZ,
            "channels": 1,
            "codec": "FLAC",
            "added_at": added + dt.timedelta(seconds=i // 3),  # ties here too
            "fingerprint_status": "pending",
        }
        row["search"] = search_text(row[name] for name in SEARCH_FIELDS)
        rows.append(row)
    return rows


def insert_big_library(count: int, extra: Sequence[Mapping[str, Any]] = ()) -> list[int]:
    """Write ``count`` generated rows and ``extra`` ones (completed like the generated ones);
    return every id in insertion order."""
    rows = big_library_rows(count)
    for offset, changes in enumerate(extra):
        row = {**big_library_rows(1)[0], "path": f"/music/extra/{offset}.flac", **changes}
        row["search"] = search_text(row[name] for name in SEARCH_FIELDS)
        rows.append(row)
    with database.atomic():
        for start in range(0, len(rows), 500):
            Track.insert_many(rows[start : start + 500]).execute()
    return [track_id for (track_id,) in Track.select(Track.id).order_by(Track.id).tuples()]
