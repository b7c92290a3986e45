"""Browsing: tracks, artists, albums; starting and following scans; plays."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auralis_server.http.params import track_id_from
from auralis_server.http.state import state_of
from auralis_server.library import playstate
from auralis_server.library import queries as library


def list_tracks(request: Request) -> JSONResponse:
    """A page of tracks (or of ids with ``fields=id``); ``next`` is null on the last page."""
    chunk_seconds = state_of(request).settings.chunk_seconds
    params = dict(request.query_params)
    page = library.list_tracks(params)
    body: dict[str, object] = {"total": page.total, "limit": page.limit, "offset": page.offset}
    if params.get("fields") == "id":
        body["ids"] = page.ids
    else:
        body["tracks"] = [library.track_json(track, chunk_seconds) for track in page.tracks]
    body["next"] = page.next
    return JSONResponse(body)


def get_track(request: Request) -> JSONResponse:
    track = library.get_track(track_id_from(request.path_params))
    return JSONResponse(library.track_json(track, state_of(request).settings.chunk_seconds))


def list_artists(request: Request) -> JSONResponse:
    return JSONResponse({"artists": library.artists()})


def list_albums(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "albums": library.albums(
                request.query_params.get("artist") or None,
                request.query_params.get("missing"),
            )
        }
    )


def record_play(request: Request) -> JSONResponse:
    """One play of the track, reported by the client once enough of it was heard."""
    return JSONResponse(
        playstate.play_json(playstate.record_play(track_id_from(request.path_params)))
    )


def list_plays(request: Request) -> JSONResponse:
    """Played tracks, ``order=recent`` (default) or ``most``, at most ``limit``."""
    chunk_seconds = state_of(request).settings.chunk_seconds
    tracks = playstate.played_tracks(request.query_params)
    return JSONResponse({"tracks": [library.track_json(t, chunk_seconds) for t in tracks]})


def start_scan(request: Request) -> JSONResponse:
    scans = state_of(request).scans
    started = scans.start()
    body = {"started": started, "scan": scans.progress.as_dict()}
    return JSONResponse(body, status_code=202 if started else 200)


def scan_status(request: Request) -> JSONResponse:
    scans = state_of(request).scans
    return JSONResponse({"running": scans.running, "scan": scans.progress.as_dict()})


routes = [
    Route("/api/tracks", list_tracks),
    Route("/api/tracks/{track_id}", get_track),
    Route("/api/tracks/{track_id}/plays", record_play, methods=["POST"]),
    Route("/api/plays", list_plays),
    Route("/api/artists", list_artists),
    Route("/api/albums", list_albums),
    Route("/api/library/scan", start_scan, methods=["POST"]),
    Route("/api/library/scan", scan_status, methods=["GET"]),
]
