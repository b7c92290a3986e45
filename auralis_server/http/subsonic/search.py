"""search3 (and search2): artists, albums and songs holding every word of ``query``, each
paged on its own (``artistCount``/``artistOffset`` …). An empty query (or ``""``, which
some clients send) matches everything, so a client can sync the whole library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auralis_server.http.subsonic import shapes
from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint
from auralis_server.library import catalog, queries

MAX_COUNT = queries.MAX_PAGE


def _page(call: Call, kind: str) -> tuple[int, int]:
    count = call.params.integer(f"{kind}Count", 20, 0, MAX_COUNT)
    return count, call.params.integer(f"{kind}Offset", 0, 0, 2**31)


def _results(
    call: Call,
    artist_shape: Callable[[catalog.ArtistRow], dict[str, Any]],
    album_shape: Callable[[catalog.AlbumRow], dict[str, Any]],
) -> Payload:
    query = (call.params.get("query") or "").strip()
    if query == '""':
        query = ""
    count, offset = _page(call, "artist")
    artist_rows = catalog.artists()
    names = catalog.matching([row.name for row in artist_rows], query)[offset : offset + count]
    wanted = set(names)
    artists = [artist_shape(row) for row in artist_rows if row.name in wanted]
    count, offset = _page(call, "album")
    album_keys = catalog.matching(catalog.album_names(), query)[offset : offset + count]
    albums = [album_shape(row) for row in catalog.albums_named(album_keys)]
    count, offset = _page(call, "song")
    songs: list[dict[str, Any]] = []
    if count:
        page = queries.list_tracks({"q": query, "limit": str(count), "offset": str(offset)})
        songs = shapes.songs(page.tracks, call.settings)
    return {"artist": artists, "album": albums, "song": songs}


@endpoint("search3")
def search3(call: Call) -> Payload:
    return {"searchResult3": _results(call, shapes.artist, shapes.album)}


@endpoint("search2")
def search2(call: Call) -> Payload:
    return {"searchResult2": _results(call, shapes.folder_artist, shapes.album_as_directory)}
