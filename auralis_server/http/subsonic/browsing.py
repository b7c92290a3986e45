"""Browsing by folder (getMusicFolders, getIndexes, getMusicDirectory) and by tags
(getArtists, getArtist, getAlbum, getSong, getGenres). The one music folder holds the
artists, an artist its albums, an album its songs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auralis_server.http.subsonic import ids, shapes
from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint
from auralis_server.http.subsonic.envelope import NOT_FOUND, SubsonicError
from auralis_server.library import catalog, queries
from auralis_server.library.folding import fold

FOLDER_NAME = "Music"


@endpoint("getMusicFolders")
def get_music_folders(call: Call) -> Payload:
    return {"musicFolders": {"musicFolder": [{"id": ids.MUSIC_FOLDER_ID, "name": FOLDER_NAME}]}}


def _letter(name: str | None) -> str:
    first = fold(name or "")[:1].upper()
    return first if first.isalpha() else "#"


def _indexed(
    rows: list[catalog.ArtistRow], shape: Callable[[catalog.ArtistRow], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Artists under their initial (``#`` for the rest), in the catalog's order."""
    index: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        index.setdefault(_letter(row.name), []).append(shape(row))
    return [{"name": letter, "artist": index[letter]} for letter in sorted(index)]


@endpoint("getIndexes")
def get_indexes(call: Call) -> Payload:
    return {
        "indexes": {
            "lastModified": 0,
            "ignoredArticles": "",
            "index": _indexed(catalog.artists(), shapes.folder_artist),
        }
    }


@endpoint("getArtists")
def get_artists(call: Call) -> Payload:
    index = _indexed(catalog.artists(), shapes.artist)
    return {"artists": {"ignoredArticles": "", "index": index}}


def _artist_row(raw: str) -> catalog.ArtistRow:
    name = ids.name_of(raw, "artist")
    row = catalog.artist(name)
    if row is None:
        raise SubsonicError(NOT_FOUND, f"no artist with id {raw:.60}")
    return row


def _album_row(raw: str) -> catalog.AlbumRow:
    row = catalog.album(ids.name_of(raw, "album"))
    if row is None:
        raise SubsonicError(NOT_FOUND, f"no album with id {raw:.60}")
    return row


@endpoint("getArtist")
def get_artist(call: Call) -> Payload:
    row = _artist_row(call.params.required("id"))
    albums = [shapes.album(album) for album in catalog.artist_albums(row.name)]
    return {"artist": {**shapes.artist(row), "albumCount": len(albums), "album": albums}}


@endpoint("getAlbum")
def get_album(call: Call) -> Payload:
    row = _album_row(call.params.required("id"))
    tracks = catalog.album_tracks(row.name)
    return {"album": {**shapes.album(row), "song": shapes.songs(tracks, call.settings)}}


@endpoint("getSong")
def get_song(call: Call) -> Payload:
    track_id = ids.number_of(call.params.required("id"), "track")
    return {"song": shapes.song(queries.get_track(track_id), call.settings)}


@endpoint("getMusicDirectory")
def get_music_directory(call: Call) -> Payload:
    raw = call.params.required("id")
    if raw == str(ids.MUSIC_FOLDER_ID):
        children = [
            {"id": ids.artist_id(row.name), "parent": raw, "isDir": True, "title": row.name}
            for row in catalog.artists()
        ]
        return {"directory": {"id": raw, "name": FOLDER_NAME, "child": children}}
    kind = ids.kind_of(raw)
    if kind == "artist":
        artist = _artist_row(raw)
        albums = [shapes.album_as_directory(row) for row in catalog.artist_albums(artist.name)]
        directory = {"id": raw, "parent": str(ids.MUSIC_FOLDER_ID), "child": albums}
        return {"directory": {**directory, "name": shapes.artist(artist)["name"]}}
    if kind == "album":
        album = _album_row(raw)
        songs = shapes.songs(catalog.album_tracks(album.name), call.settings)
        parent = ids.artist_id(album.artist)
        shaped = shapes.album(album)
        return {"directory": {"id": raw, "parent": parent, "name": shaped["name"], "child": songs}}
    raise SubsonicError(NOT_FOUND, f"no directory with id {raw:.60}")


@endpoint("getGenres")
def get_genres(call: Call) -> Payload:
    genres = [
        {"value": row["genre"], "songCount": row["songs"], "albumCount": row["albums"]}
        for row in catalog.genres()
    ]
    return {"genres": {"genre": genres}}
