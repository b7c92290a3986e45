"""Playlists, on the same tables as the TUI's and /api/playlists (library.playlists): a
playlist made on the phone is there in the terminal, and the other way round."""

from __future__ import annotations

from typing import Any

from auralis_server.http.subsonic import ids, shapes
from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint
from auralis_server.http.subsonic.envelope import GENERIC, SubsonicError
from auralis_server.library import playlists
from auralis_server.library.models import Playlist


def _summary(call: Call, playlist_id: int, name: str, **facts: Any) -> dict[str, Any]:
    return {
        "id": ids.playlist_id(playlist_id),
        "name": name,
        "owner": call.settings.subsonic_user,
        "public": False,
        **facts,
    }


def _shown(call: Call, playlist: Playlist) -> dict[str, Any]:
    tracks = playlists.playlist_tracks(playlist)
    return _summary(
        call,
        playlist.id,
        playlist.name,
        songCount=len(tracks),
        duration=round(sum(track.duration or 0.0 for track in tracks)),
        created=shapes.iso(playlist.created_at),
        changed=shapes.iso(playlist.updated_at),
        coverArt=ids.track_id(tracks[0].id) if tracks else None,
        entry=shapes.songs(tracks, call.settings),
    )


@endpoint("getPlaylists")
def get_playlists(call: Call) -> Payload:
    found = [
        _summary(
            call,
            row["id"],
            row["name"],
            songCount=row["track_count"],
            duration=round(row["duration_s"]),
            created=row["updated_at"],
            changed=row["updated_at"],
        )
        for row in playlists.playlist_summaries()
    ]
    return {"playlists": {"playlist": found}}


def _playlist(raw: str) -> Playlist:
    return playlists.get_playlist(ids.number_of(raw, "playlist"))


@endpoint("getPlaylist")
def get_playlist(call: Call) -> Payload:
    return {"playlist": _shown(call, _playlist(call.params.required("id")))}


def _track_ids(raws: list[str]) -> list[int]:
    return [ids.number_of(raw, "track") for raw in raws]


@endpoint("createPlaylist")
def create_playlist(call: Call) -> Payload:
    """A new playlist (``name``), or ``playlistId``'s songs replaced; ``songId`` repeats."""
    songs = _track_ids(call.params.all("songId"))
    existing = call.params.get("playlistId")
    if existing:
        playlist = playlists.update_playlist(_playlist(existing).id, {"track_ids": songs})
    else:
        playlist = playlists.create_playlist(call.params.required("name"), songs)
    return {"playlist": _shown(call, playlist)}


@endpoint("updatePlaylist")
def update_playlist(call: Call) -> Payload:
    """Rename, remove the songs at ``songIndexToRemove`` and append ``songIdToAdd``."""
    playlist = _playlist(call.params.required("playlistId"))
    current = [track.id for track in playlists.playlist_tracks(playlist)]
    removed = set()
    for raw in call.params.all("songIndexToRemove"):
        if not raw.isdigit() or int(raw) >= len(current):
            raise SubsonicError(GENERIC, f"songIndexToRemove {raw!r:.20} is outside the playlist")
        removed.add(int(raw))
    kept = [track_id for index, track_id in enumerate(current) if index not in removed]
    changes: dict[str, object] = {"track_ids": kept + _track_ids(call.params.all("songIdToAdd"))}
    name = call.params.get("name")
    if name:
        changes["name"] = name
    playlists.update_playlist(playlist.id, changes)
    return {}


@endpoint("deletePlaylist")
def delete_playlist(call: Call) -> Payload:
    playlists.delete_playlist(ids.number_of(call.params.required("id"), "playlist"))
    return {}
