"""The Subsonic shapes of our rows: ``Child`` (a song), ``AlbumID3``, ``ArtistID3``, ``Artist``.

Songs carry ``replayGain`` from our own BS.1770 measurements (``replay_gain``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auralis_server.config import Settings
from auralis_server.http.subsonic import ids, replay_gain
from auralis_server.library import catalog, media_facts
from auralis_server.library.models import Track


def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


def _relative(path: str, music_dirs: Sequence[Path]) -> str:
    for folder in music_dirs:
        try:
            return str(Path(path).relative_to(folder))
        except ValueError:
            continue
    return path


def songs(tracks: Sequence[Track], settings: Settings) -> list[dict[str, Any]]:
    """The ``Child`` of each track, loudness read for all of them at once."""
    loudness = replay_gain.measured(tracks)
    music_dirs = settings.effective_music_dirs()
    return [_song(track, loudness.of(track), music_dirs) for track in tracks]


def song(track: Track, settings: Settings) -> dict[str, Any]:
    return songs([track], settings)[0]


def _song(track: Track, gains: dict[str, float], music_dirs: Sequence[Path]) -> dict[str, Any]:
    duration_s = track.duration or 0.0
    bit_rate = round(track.size * 8 / duration_s / 1000) if duration_s > 0 else None
    suffix = media_facts.suffix_of(track.path)
    return {
        "id": ids.track_id(track.id),
        "parent": ids.album_id(track.album),
        "isDir": False,
        "title": track.title or Path(track.path).stem,
        "album": track.album,
        "artist": track.artist,
        "track": track.track_no,
        "discNumber": track.disc_no,
        "year": track.year,
        "genre": track.genre,
        "coverArt": ids.track_id(track.id),
        "size": track.size,
        "contentType": media_facts.content_type(track.path),
        "suffix": suffix,
        "duration": round(duration_s),
        "bitRate": bit_rate,
        "bitDepth": media_facts.bit_depth(track.path, track.size, track.mtime_ns),
        "samplingRate": track.sample_rate,
        "channelCount": track.channels,
        "path": _relative(track.path, music_dirs),
        "isVideo": False,
        "playCount": track.play_count,
        "played": iso(track.last_played),
        "created": iso(track.added_at),
        "starred": iso(track.starred_at),
        "userRating": track.rating,
        "albumId": ids.album_id(track.album),
        "artistId": ids.artist_id(track.artist),
        "type": "music",
        "mediaType": "song",
        "replayGain": gains,
    }


def album(row: catalog.AlbumRow) -> dict[str, Any]:
    return {
        "id": ids.album_id(row.name),
        "name": row.name or "[unknown album]",
        "artist": row.artist,
        "artistId": ids.artist_id(row.artist),
        "coverArt": ids.album_id(row.name),
        "songCount": row.song_count,
        "duration": round(row.duration_s),
        "playCount": row.play_count,
        "played": iso(row.last_played),
        "created": iso(row.created),
        "year": row.year,
        "genre": row.genre,
        "starred": iso(row.starred_at),
        "userRating": row.rating,
    }


def album_as_directory(row: catalog.AlbumRow) -> dict[str, Any]:
    """An album as a ``Child`` directory (the folder-style browsing of getMusicDirectory)."""
    shaped = album(row)
    return {
        "id": shaped["id"],
        "parent": shaped["artistId"],
        "isDir": True,
        "title": shaped["name"],
        "album": shaped["name"],
        "artist": row.artist,
        "year": row.year,
        "genre": row.genre,
        "coverArt": shaped["coverArt"],
        "created": shaped["created"],
        "starred": shaped["starred"],
        "userRating": row.rating,
        "playCount": row.play_count,
    }


def artist(row: catalog.ArtistRow) -> dict[str, Any]:
    """``ArtistID3`` (getArtists, search3, getStarred2): an album count, no rating."""
    return {
        "id": ids.artist_id(row.name),
        "name": row.name or "[unknown artist]",
        "albumCount": row.album_count,
        "starred": iso(row.starred_at),
    }


def folder_artist(row: catalog.ArtistRow) -> dict[str, Any]:
    """``Artist`` (getIndexes, search2, getStarred): a rating, no album count."""
    return {
        "id": ids.artist_id(row.name),
        "name": row.name or "[unknown artist]",
        "starred": iso(row.starred_at),
        "userRating": row.rating,
    }
