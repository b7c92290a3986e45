"""Library queries and the JSON shape of a track, shared by the API routes."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee

from auralis_server.audio.track import TrackAudio
from auralis_server.library.errors import InvalidQuery, TrackNotFound, TrackUnplayable
from auralis_server.library.folding import query_words
from auralis_server.library.models import Track
from auralis_server.library.scanner import refresh_track
from shared.geometry import ChunkGeometry

MAX_PAGE = 1000  # tracks per page; clients page on (``next``/``offset``) for the rest
MAX_ID_PAGE = 100_000  # ids per page with ``fields=id``: a whole large library in one call
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
        "play_count": track.play_count,
        "last_played": track.last_played.isoformat() + "Z" if track.last_played else None,
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


@dataclass(frozen=True)
class TrackPage:
    """One page of a listing. ``total`` counts every match; ``next`` continues after the page."""

    total: int
    limit: int
    offset: int
    tracks: list[Track]  # empty when only ids were asked for
    ids: list[int]
    next: str | None  # the ``after`` cursor of the following page; None: this page ends it


def search_tracks(params: Mapping[str, str]) -> tuple[int, list[Track], int, int]:
    """Tracks matching ``q``, ``artist``, ``album``, ``missing``, ``ids``: (total, page, limit, offset)."""
    page = list_tracks(params)
    return page.total, page.tracks, page.limit, page.offset


def list_tracks(params: Mapping[str, str]) -> TrackPage:
    """A page of tracks matching the filters, in ``sort`` order (ties by id).

    Two ways to page: ``offset`` jumps to any position (the TUI's table), ``after`` continues
    from a cursor a previous page returned as ``next`` — keyset paging, which neither skips
    nor repeats a row when a scan adds or removes tracks between pages (``auralis ls``).
    ``fields=id`` lists ids only, up to `MAX_ID_PAGE` a page: a whole library in one call.
    """
    ids_only = _fields(params.get("fields"))
    limit = _int_param(params, "limit", 100, 1, MAX_ID_PAGE if ids_only else MAX_PAGE)
    offset = _int_param(params, "offset", 0, 0, 2**31)
    sort = params.get("sort") or "artist"
    descending = sort.startswith("-")
    fields = _SORTS.get(sort.lstrip("-"))
    if fields is None:
        raise InvalidQuery(
            f"unknown sort {sort!r}; expected one of {', '.join(_SORTS)} (prefix - to reverse)"
        )
    keys = [*fields, Track.id]
    query = _filtered(Track.select(Track.id, *fields) if ids_only else Track.select(), params)
    after = params.get("after")
    reversed_keys = len(fields) if descending else 0  # the id tie-break always ascends
    page_query = query if not after else query.where(_after(keys, reversed_keys, sort, after))
    order = [
        field.desc(nulls="last") if descending else field.asc(nulls="first") for field in fields
    ]
    ordered = page_query.order_by(*order, Track.id).limit(limit + 1).offset(offset)
    tracks: list[Track] = []
    if ids_only:  # plain tuples (id, *fields): 60 000 model objects would take half a second
        rows = list(ordered.tuples())
        more, rows = len(rows) > limit, rows[:limit]
        ids = [row[0] for row in rows]
        last = [*rows[-1][1:], rows[-1][0]] if more else None
    else:
        tracks = list(ordered)
        more, tracks = len(tracks) > limit, tracks[:limit]
        ids = [track.id for track in tracks]
        last = [getattr(tracks[-1], key.name) for key in keys] if more else None
    if not after and (offset == 0 or ids) and not more:
        total = offset + len(ids)  # the page reached the end: no count needed
    else:
        total = query.count()
    cursor = _cursor(sort, last) if last is not None else None
    return TrackPage(total, limit, offset, tracks, ids, cursor)


def _fields(raw: str | None) -> bool:
    """``fields=id``: True; absent: False (whole tracks)."""
    if raw in (None, "", "all"):
        return False
    if raw == "id":
        return True
    raise InvalidQuery(f"fields must be id (ids only) or all, got {raw!r}")


def _filtered(query: peewee.ModelSelect, params: Mapping[str, str]) -> peewee.ModelSelect:
    """``q`` (every folded word in title/artist/album/path), ``artist``, ``album``, ``missing``,
    ``ids``."""
    for word in query_words(_text("q", params.get("q")) or ""):
        query = query.where(Track.search.contains(word))
    artist, album = _text("artist", params.get("artist")), _text("album", params.get("album"))
    if artist:
        query = query.where((Track.artist == artist) | (Track.album_artist == artist))
    if album:
        query = query.where(Track.album == album)
    ids = params.get("ids")
    if ids:
        query = query.where(Track.id.in_(_id_list(ids)))
    return _where_missing(query, params.get("missing"))


def _id_list(raw: str) -> list[int]:
    """``ids=3,5,8``: at most `MAX_PAGE` track ids."""
    parts = raw.split(",")
    if len(parts) > MAX_PAGE:
        raise InvalidQuery(f"ids may name at most {MAX_PAGE} tracks, got {len(parts)}")
    if not all(_INTEGER.match(part) and len(part) <= 20 for part in parts):
        raise InvalidQuery(f"ids must be track ids separated by commas, got {raw[:80]!r}")
    return [int(part) for part in parts if 0 <= int(part) <= MAX_ID]


# -- keyset paging -------------------------------------------------------------------------
#
# NULLs sort first ascending and last descending on every database (PostgreSQL's default is
# the opposite of SQLite's), so "after this row" has one meaning: the expansion below.

_CURSOR_TYPES: dict[type[peewee.Field], tuple[type, ...]] = {
    peewee.TextField: (str,),
    peewee.IntegerField: (int,),
    peewee.FloatField: (int, float),
    peewee.DateTimeField: (str,),
    peewee.AutoField: (int,),
}


def _cursor(sort: str, values: list[Any]) -> str:
    """An opaque ``after`` token: the sort and the last row's sort-key values."""
    plain = [str(v) if isinstance(v, dt.datetime) else v for v in values]
    raw = json.dumps([sort, *plain], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(keys: list[peewee.Field], reversed_keys: int, sort: str, token: str) -> peewee.Node:
    """Rows strictly after the cursor's row in ``keys`` order, the first ``reversed_keys``
    of them descending."""
    values = _cursor_values(keys, sort, token)
    after: peewee.Node | None = None
    for position, (key, value) in enumerate(zip(keys, values, strict=True)):
        reverse = position < reversed_keys
        if value is None:
            beyond: peewee.Node = peewee.SQL("0 = 1") if reverse else key.is_null(False)
        elif reverse:
            beyond = (key < value) | key.is_null()
        else:
            beyond = key > value
        for earlier, seen in zip(keys[:position], values[:position], strict=True):
            beyond = ((earlier.is_null()) if seen is None else (earlier == seen)) & beyond
        after = beyond if after is None else after | beyond
    assert after is not None
    return after


def _cursor_values(keys: list[peewee.Field], sort: str, token: str) -> list[Any]:
    refused = InvalidQuery("after must be the next cursor of a listing with the same sort")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw.decode(), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise refused from None
    if not isinstance(decoded, list) or len(decoded) != len(keys) + 1 or decoded[0] != sort:
        raise refused
    values = decoded[1:]
    for position, (key, value) in enumerate(zip(keys, decoded[1:], strict=True)):
        kinds = next(t for f, t in _CURSOR_TYPES.items() if isinstance(key, f))
        if value is None and not key.null:
            raise refused
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            raise refused
        if isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID:
            raise refused
        if isinstance(value, str) and "\x00" in value:  # as for filters: PostgreSQL refuses NUL
            raise refused
        if isinstance(key, peewee.DateTimeField) and value is not None:
            parsed = key.python_value(value)
            if not isinstance(parsed, dt.datetime):
                raise refused
            values[position] = parsed
    return values


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a cursor value")


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
