"""scrobble (a submitted play counts as one, like POST /api/tracks/{id}/plays),
star / unstar of songs, albums and artists, setRating."""

from __future__ import annotations

from auralis_server.http.subsonic import ids
from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint
from auralis_server.library import catalog, playstate, stars


@endpoint("scrobble")
def scrobble(call: Call) -> Payload:
    """``submission=false`` is "now playing": nothing to record; each submitted id counts."""
    track_ids = [ids.number_of(raw, "track") for raw in _required_ids(call)]
    if call.params.flag("submission", True):
        for track_id in track_ids:
            playstate.record_play(track_id)
    return {}


def _required_ids(call: Call) -> list[str]:
    found = call.params.all("id")
    if not found:
        call.params.required("id")  # raises the spec's "missing parameter"
    return found


def _star(call: Call, starred: bool) -> Payload:
    params = call.params
    songs, albums, artists = [], [], []
    for raw in params.all("id"):  # the folder-style ids may name any kind
        kind = ids.kind_of(raw)
        if kind == "album":
            albums.append(raw)
        elif kind == "artist":
            artists.append(raw)
        else:
            songs.append(ids.number_of(raw, "track"))
    albums += params.all("albumId")
    artists += params.all("artistId")
    if not (songs or albums or artists):
        params.required("id")
    stars.star_tracks(songs, starred)
    for kind, raws in (("album", albums), ("artist", artists)):
        keys = [catalog.annotation_key(ids.name_of(raw, kind)) for raw in raws]
        stars.star_groups(kind, keys, starred)
    return {}


@endpoint("star")
def star(call: Call) -> Payload:
    return _star(call, True)


@endpoint("unstar")
def unstar(call: Call) -> Payload:
    return _star(call, False)


@endpoint("setRating")
def set_rating(call: Call) -> Payload:
    raw = call.params.required("id")
    rating = call.params.integer("rating", -1, -1, 100)
    if call.params.get("rating") in (None, ""):
        call.params.required("rating")
    kind = ids.kind_of(raw)
    if kind in ("album", "artist"):
        stars.rate_group(kind, catalog.annotation_key(ids.name_of(raw, kind)), rating)
    else:
        stars.rate_track(ids.number_of(raw, "track"), rating)
    return {}
