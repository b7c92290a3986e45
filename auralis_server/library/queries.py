"""Library queries and the JSON shape of a track, shared by the API routes."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import peewee

from auralis_server.audio.track import TrackAudio
from auralis_server.library.errors import InvalidQuery, TrackNotFound, TrackUnplayable
from auralis_server.library.models import Track
from auralis_server.library.scanner import refresh_track
from shared.geometry import ChunkGeometry

MAX_PAGE = 1000
MAX_ID = 2**63 - 1  # SQLite and PostgreSQL integer keys are signed 64-bit
_INTEGER = re.compile(r"\A[+-]?[0-9]+\Z")
_SORTS: dict[str, tuple[peewee.Field, ...]] = {
    "artist": (Track.artist, Track.album, Track.disc_no, Track.track_no, Track.title),
    "album": (Track.album, Track.disc_no, Track.track_no, Track.title),
    "title": (Track.title,),
    "year": (Track.year, Track.album, Track.disc_no, Track.track_no),
    "duration": (Track.duration,),
    "added": (Track.added_at, Track.id),
    "path": (Track.path,),
}


def geometry_of(track: Track, chunk_seconds: float) -> ChunkGeometry | None:
    if track.scan_error or not track.total_frames or not track.sample_rate:
        return None
    return ChunkGeometry.for_track(track.total_frames, track.sample_rate, chunk_seconds)


def track_json(track: Track, chunk_seconds: float) -> dict[str, Any]:
    geometry = geometry_of(track, chunk_seconds)
    return {
        "id": track.id,
        "path": track.path,
        "title": track.title,
        "artist": track.artist,
        "album": track.album,
        "album_artist": track.album_artist,
        "track_no": track.track_no,
        "disc_no": track.disc_no,
        "year": track.year,
        "genre": track.genre,
        "duration_seconds": track.duration,
        "sample_rate_hz": track.sample_rate,
        "channels": track.channels,
        "codec": track.codec,
        "size_bytes": track.size,
        "added_at": track.added_at.isoformat() + "Z" if track.added_at else None,
        "error": track.scan_error,
        "fingerprint_status": track.fingerprint_status,
        "geometry": geometry.as_dict() if geometry else None,
    }


def get_track(track_id: int) -> Track:
    """The track; an id past 64 bits is not found rather than an overflow in the driver."""
    track = Track.get_or_none(Track.id == track_id) if 0 <= track_id <= MAX_ID else None
    if track is None:
        raise TrackNotFound(f"no track with id {track_id}")
    return track


def playable_audio(track: Track, chunk_seconds: float) -> TrackAudio:
    """The track's audio, re-read first if the file changed since the scan; 422 if unusable."""
    try:
        stat = os.stat(track.path)
        changed = (stat.st_size, stat.st_mtime_ns) != (track.size, track.mtime_ns)
    except OSError as exc:
        raise TrackUnplayable(f"track {track.id}: {exc.strerror or exc}: {track.path}") from None
    if changed:
        track = refresh_track(track)
    geometry = geometry_of(track, chunk_seconds)
    if geometry is None:
        raise TrackUnplayable(f"track {track.id} is not playable: {track.scan_error}")
    return TrackAudio(
        track.id, Path(track.path), geometry, track.channels, (track.size, track.mtime_ns)
    )


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if _INTEGER.match(raw) is None:
        raise InvalidQuery(f"{name} must be an integer, got {raw!r}")
    if len(raw.lstrip("+-").lstrip("0")) > len(str(high)) or not low <= int(raw) <= high:
        raise InvalidQuery(f"{name} must be between {low} and {high}, got {raw!r}")
    return int(raw)


def _text(name: str, value: str | None) -> str | None:
    """A text filter; NUL is refused (PostgreSQL rejects it, SQLite's LIKE stops at it)."""
    if value is not None and "\x00" in value:
        raise InvalidQuery(f"{name} must not contain a NUL character")
    return value


def search_tracks(params: Mapping[str, str]) -> tuple[int, list[Track], int, int]:
    """Tracks matching ``q`` (every word in title/artist/album/path), ``artist``, ``album``."""
    limit = _int_param(params, "limit", 100, 1, MAX_PAGE)
    offset = _int_param(params, "offset", 0, 0, 2**31)
    sort = params.get("sort") or "artist"
    descending = sort.startswith("-")
    fields = _SORTS.get(sort.lstrip("-"))
    if fields is None:
        raise InvalidQuery(
            f"unknown sort {sort!r}; expected one of {', '.join(_SORTS)} (prefix - to reverse)"
        )
    query = Track.select()
    for word in (_text("q", params.get("q")) or "").split():
        query = query.where(
            Track.title.contains(word)
            | Track.artist.contains(word)
            | Track.album.contains(word)
            | Track.path.contains(word)
        )
    artist, album = _text("artist", params.get("artist")), _text("album", params.get("album"))
    if artist:
        query = query.where((Track.artist == artist) | (Track.album_artist == artist))
    if album:
        query = query.where(Track.album == album)
    query = _where_missing(query, params.get("missing"))
    total = query.count()
    order = [field.desc() if descending else field.asc() for field in fields] + [Track.id]
    page = list(query.order_by(*order).limit(limit).offset(offset))
    return total, page, limit, offset


_TAGS: dict[str, peewee.Field] = {"artist": Track.artist, "album": Track.album}


def _where_missing(query: peewee.ModelSelect, missing: str | None) -> peewee.ModelSelect:
    """``missing=artist,album``: only tracks without those tags (how untagged files are browsed)."""
    for name in (missing or "").split(","):
        if not name:
            continue
        if name not in _TAGS:
            raise InvalidQuery(f"missing must name tags among {', '.join(_TAGS)}, got {name!r}")
        query = query.where(_TAGS[name].is_null())
    return query


def artists() -> list[dict[str, Any]]:
    rows = (
        Track.select(
            Track.artist,
            peewee.fn.COUNT(Track.id).alias("tracks"),
            peewee.fn.COUNT(Track.album.distinct()).alias("albums"),
        )
        .group_by(Track.artist)
        .order_by(peewee.fn.LOWER(Track.artist))
        .dicts()
    )
    return [
        {"name": row["artist"], "albums": row["albums"], "tracks": row["tracks"]} for row in rows
    ]


def albums(artist: str | None, missing: str | None = None) -> list[dict[str, Any]]:
    query = Track.select(
        Track.album,
        peewee.fn.MIN(peewee.fn.COALESCE(Track.album_artist, Track.artist)).alias("artist"),
        peewee.fn.MIN(Track.year).alias("year"),
        peewee.fn.COUNT(Track.id).alias("tracks"),
        peewee.fn.SUM(Track.duration).alias("duration_seconds"),
    )
    if _text("artist", artist):
        query = query.where((Track.artist == artist) | (Track.album_artist == artist))
    rows = (
        _where_missing(query, missing)
        .group_by(Track.album)
        .order_by(peewee.fn.LOWER(Track.album))
        .dicts()
    )
    return [
        {
            "name": row["album"],
            "artist": row["artist"],
            "year": row["year"],
            "tracks": row["tracks"],
            "duration_seconds": row["duration_seconds"],
        }
        for row in rows
    ]
