"""Similar songs from the audio itself (library.similarity): getSimilarSongs2 (and
getSimilarSongs) and the OpenSubsonic ``sonicSimilarity`` extension, getSonicSimilarTracks
and findSonicPath. A track not fingerprinted yet has no neighbours: the list is empty."""

from __future__ import annotations

from auralis_server.http.subsonic import ids, shapes
from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint
from auralis_server.http.subsonic.envelope import NOT_FOUND, SubsonicError
from auralis_server.library import catalog, queries, similarity

MAX_COUNT = 500


def _seeds(raw: str) -> list[int]:
    """The seed tracks of a song, album or artist id."""
    kind = ids.kind_of(raw)
    if kind in ("album", "artist"):
        found = catalog.group_track_ids(kind, ids.name_of(raw, kind))
        if not found:
            raise SubsonicError(NOT_FOUND, f"no {kind} with id {raw:.60}")
        return found
    return [queries.get_track(ids.number_of(raw, "track")).id]


def _similar_songs(call: Call) -> list[dict[str, object]]:
    matches = similarity.similar_tracks(
        _seeds(call.params.required("id")), call.params.integer("count", 50, 1, MAX_COUNT)
    )
    tracks = catalog.tracks_in_order([match.track_id for match in matches])
    return shapes.songs(tracks, call.settings)


@endpoint("getSimilarSongs2")
def get_similar_songs2(call: Call) -> Payload:
    return {"similarSongs2": {"song": _similar_songs(call)}}


@endpoint("getSimilarSongs")
def get_similar_songs(call: Call) -> Payload:
    return {"similarSongs": {"song": _similar_songs(call)}}


def _sonic_matches(call: Call, matches: list[similarity.Match]) -> Payload:
    tracks = catalog.tracks_in_order([match.track_id for match in matches])
    shaped = {
        track.id: song
        for track, song in zip(tracks, shapes.songs(tracks, call.settings), strict=True)
    }
    return {
        "sonicMatch": [
            {"entry": shaped[match.track_id], "similarity": match.similarity}
            for match in matches
            if match.track_id in shaped
        ]
    }


@endpoint("getSonicSimilarTracks")
def get_sonic_similar_tracks(call: Call) -> Payload:
    track_id = queries.get_track(ids.number_of(call.params.required("id"), "track")).id
    count = call.params.integer("count", 10, 1, MAX_COUNT)
    return _sonic_matches(call, similarity.similar_tracks([track_id], count))


@endpoint("findSonicPath")
def find_sonic_path(call: Call) -> Payload:
    start = queries.get_track(ids.number_of(call.params.required("startSongId"), "track")).id
    end = queries.get_track(ids.number_of(call.params.required("endSongId"), "track")).id
    count = call.params.integer("count", 25, 2, MAX_COUNT)
    return _sonic_matches(call, similarity.sonic_path(start, end, count))
