"""Lists: getAlbumList2 (and the folder-style getAlbumList) of every type, getRandomSongs,
getSongsByGenre, getStarred2 (and getStarred), getTopSongs from our play counts."""

from __future__ import annotations

from auralis_server.http.subsonic import ids, shapes
from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint
from auralis_server.library import catalog, stars

MAX_LIST = 500


def _albums(call: Call) -> list[catalog.AlbumRow]:
    params = call.params
    kind = params.required("type")
    size = params.integer("size", 10, 1, MAX_LIST)
    offset = params.integer("offset", 0, 0, 2**31)
    filters = {name: params.get(name) or "" for name in ("fromYear", "toYear", "genre")}
    return catalog.album_list(kind, filters, size, offset)


@endpoint("getAlbumList2")
def get_album_list2(call: Call) -> Payload:
    return {"albumList2": {"album": [shapes.album(row) for row in _albums(call)]}}


@endpoint("getAlbumList")
def get_album_list(call: Call) -> Payload:
    return {"albumList": {"album": [shapes.album_as_directory(row) for row in _albums(call)]}}


def _year(call: Call, name: str) -> int | None:
    return call.params.integer(name, -1, -1, 9999) if call.params.get(name) else None


@endpoint("getRandomSongs")
def get_random_songs(call: Call) -> Payload:
    tracks = catalog.random_tracks(
        call.params.integer("size", 10, 1, MAX_LIST),
        call.params.get("genre"),
        _year(call, "fromYear"),
        _year(call, "toYear"),
    )
    return {"randomSongs": {"song": shapes.songs(tracks, call.settings)}}


@endpoint("getSongsByGenre")
def get_songs_by_genre(call: Call) -> Payload:
    tracks = catalog.genre_tracks(
        call.params.required("genre"),
        call.params.integer("count", 10, 1, MAX_LIST),
        call.params.integer("offset", 0, 0, 2**31),
    )
    return {"songsByGenre": {"song": shapes.songs(tracks, call.settings)}}


def _starred(call: Call, album_shape: str) -> Payload:
    artist_names = {key or None for key in stars.starred_keys("artist")}
    artists = [row for row in catalog.artists() if row.name in artist_names]
    albums = catalog.albums_named([key or None for key in stars.starred_keys("album")])
    id3 = album_shape == "id3"
    artist_shape = shapes.artist if id3 else shapes.folder_artist
    shape = shapes.album if id3 else shapes.album_as_directory
    return {
        "artist": [artist_shape(row) for row in artists],
        "album": [shape(row) for row in albums],
        "song": shapes.songs(stars.starred_tracks(), call.settings),
    }


@endpoint("getStarred2")
def get_starred2(call: Call) -> Payload:
    return {"starred2": _starred(call, "id3")}


@endpoint("getStarred")
def get_starred(call: Call) -> Payload:
    return {"starred": _starred(call, "folder")}


@endpoint("getTopSongs")
def get_top_songs(call: Call) -> Payload:
    """``artist`` is a name (as the spec has it); an ``ar-`` id is accepted too."""
    artist = call.params.required("artist")
    if ids.kind_of(artist) == "artist":
        artist = ids.name_of(artist, "artist") or ""
    tracks = catalog.top_tracks(artist, call.params.integer("count", 50, 1, MAX_LIST))
    return {"topSongs": {"song": shapes.songs(tracks, call.settings)}}
