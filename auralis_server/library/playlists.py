"""Saved playlists: named, ordered lists of track ids, and the JSON shapes the API sends.

A track the scanner removes leaves every playlist through the foreign key's cascade (see
``PlaylistEntry``): a playlist read never meets a missing track, and the rest keep their order.
Values arrive as decoded JSON of any type; each is checked here, and a wrong one raises
``InvalidQuery`` with a line that names it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import peewee

from auralis_server.library.errors import InvalidQuery, NameTaken, PlaylistNotFound
from auralis_server.library.models import Playlist, PlaylistEntry, Track, database, utc_now
from auralis_server.library.queries import MAX_ID, track_json

MAX_NAME_CHARS = 200
MAX_TRACKS = 100_000  # ids in one list: a whole large library still fits
_BATCH = 300  # rows per statement: 3 parameters each stay under SQLite's old 999 limit


def present_track_ids(ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` name tracks in the library now."""
    unique = sorted(set(ids))
    found: set[int] = set()
    for start in range(0, len(unique), _BATCH):
        batch = unique[start : start + _BATCH]
        found.update(row[0] for row in Track.select(Track.id).where(Track.id.in_(batch)).tuples())
    return found


def checked_track_ids(value: object, field: str = "track_ids") -> list[int]:
    """A JSON list of ids of tracks in the library (repeats allowed), else `InvalidQuery`."""
    if not isinstance(value, list):
        raise InvalidQuery(f"{field} must be a list of track ids, got {_shown(value)}")
    if len(value) > MAX_TRACKS:
        raise InvalidQuery(f"{field} may hold at most {MAX_TRACKS} ids, got {len(value)}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise InvalidQuery(f"{field} must hold track ids (integers), got {_shown(item)}")
    unknown = [i for i in value if not 0 <= i <= MAX_ID]
    if not unknown:
        present = present_track_ids(value)
        unknown = [i for i in value if i not in present]
    if unknown:
        raise InvalidQuery(f"{field} names {len(unknown)} unknown track(s), first {unknown[0]}")
    return list(value)


def checked_name(value: object) -> str:
    """A playlist name: text, not blank, one line, at most `MAX_NAME_CHARS` characters."""
    if not isinstance(value, str):
        raise InvalidQuery(f"name must be text, got {_shown(value)}")
    name = value.strip()
    if not name:
        raise InvalidQuery("name must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidQuery(f"name may be at most {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise InvalidQuery("name must not contain control characters")
    return name


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def get_playlist(playlist_id: int) -> Playlist:
    playlist = Playlist.get_or_none(Playlist.id == playlist_id) if playlist_id <= MAX_ID else None
    if playlist is None:
        raise PlaylistNotFound(f"no playlist with id {playlist_id}")
    return playlist


def playlist_tracks(playlist: Playlist) -> list[Track]:
    """The playlist's tracks in its order (a track listed twice comes twice)."""
    return list(
        Track.select()
        .join(PlaylistEntry, on=PlaylistEntry.track == Track.id)
        .where(PlaylistEntry.playlist == playlist.id)
        .order_by(PlaylistEntry.position)
    )


def create_playlist(name: object, track_ids: object) -> Playlist:
    checked = checked_name(name)
    ids = checked_track_ids(track_ids)
    with database.atomic():
        _refuse_taken(checked, None)
        playlist = Playlist.create(name=checked)
        _write_entries(playlist.id, ids)
    return playlist


def update_playlist(playlist_id: int, changes: Mapping[str, object]) -> Playlist:
    """Rename and/or replace the tracks (``name``, ``track_ids``); either may be left out."""
    if not changes.keys() & {"name", "track_ids"}:
        raise InvalidQuery("give name, track_ids or both")
    name = checked_name(changes["name"]) if "name" in changes else None
    ids = checked_track_ids(changes["track_ids"]) if "track_ids" in changes else None
    with database.atomic():
        playlist = get_playlist(playlist_id)
        if name is not None:
            _refuse_taken(name, playlist.id)
            playlist.name = name
        playlist.updated_at = utc_now()
        playlist.save()
        if ids is not None:
            PlaylistEntry.delete().where(PlaylistEntry.playlist == playlist.id).execute()
            _write_entries(playlist.id, ids)
    return playlist


def delete_playlist(playlist_id: int) -> None:
    """Remove it; its entries go with it (the foreign key cascades)."""
    get_playlist(playlist_id).delete_instance()


def _refuse_taken(name: str, own_id: int | None) -> None:
    clash = Playlist.select(Playlist.id).where(Playlist.name == name)
    if own_id is not None:
        clash = clash.where(Playlist.id != own_id)
    if clash.exists():
        raise NameTaken(f"a playlist named {name!r} already exists")


def _write_entries(playlist_id: int, track_ids: list[int]) -> None:
    rows = [(playlist_id, position, track_id) for position, track_id in enumerate(track_ids)]
    fields = [PlaylistEntry.playlist, PlaylistEntry.position, PlaylistEntry.track]
    for start in range(0, len(rows), _BATCH):
        try:
            PlaylistEntry.insert_many(rows[start : start + _BATCH], fields=fields).execute()
        except peewee.IntegrityError:  # a scan removed a track since it was checked
            raise InvalidQuery("a track of the list was removed from the library; retry") from None


def _iso(moment: Any) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def playlist_summaries() -> list[dict[str, Any]]:
    """Every playlist with its length and duration, by name."""
    count = peewee.fn.COUNT(PlaylistEntry.position)
    duration = peewee.fn.COALESCE(peewee.fn.SUM(Track.duration), 0.0)
    rows = (
        Playlist.select(Playlist, count.alias("track_count"), duration.alias("duration_s"))
        .join(PlaylistEntry, peewee.JOIN.LEFT_OUTER)
        .join(Track, peewee.JOIN.LEFT_OUTER, on=PlaylistEntry.track == Track.id)
        .group_by(Playlist.id)
        .order_by(peewee.fn.LOWER(Playlist.name), Playlist.id)
    )
    return [
        {
            "id": row.id,
            "name": row.name,
            "track_count": row.track_count,
            "duration_s": float(row.duration_s),
            "updated_at": _iso(row.updated_at),
        }
        for row in rows
    ]


def playlist_json(playlist: Playlist, chunk_seconds: float) -> dict[str, Any]:
    tracks = playlist_tracks(playlist)
    return {
        "id": playlist.id,
        "name": playlist.name,
        "track_ids": [track.id for track in tracks],
        "tracks": [track_json(track, chunk_seconds) for track in tracks],
        "created_at": _iso(playlist.created_at),
        "updated_at": _iso(playlist.updated_at),
    }
