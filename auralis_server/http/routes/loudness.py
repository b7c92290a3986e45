"""The loudness series of a track: short-term loudness before and after mastering.

``GET /api/tracks/{id}/loudness?preset=&intensity=`` answers with ``shared.loudness``'s
body. The first request for a (track, settings) pair renders the whole track (off the
event loop, once however many ask); later ones come from the cache.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from auralis_server.audio.source import AudioReadError
from auralis_server.audio.track import TrackAudio
from auralis_server.http.errors import UnreadableAudio
from auralis_server.http.params import plan_from_query, track_id_from
from auralis_server.http.state import state_of
from auralis_server.library import queries as library
from auralis_server.streaming.loudness_series import series_json


def _audio(request: Request) -> TrackAudio:
    track = library.get_track(track_id_from(request.path_params))
    return library.playable_audio(track, state_of(request).settings.chunk_seconds)


async def get_loudness(request: Request) -> Response:
    state = state_of(request)
    settings = plan_from_query(request.query_params)
    audio = await run_in_threadpool(_audio, request)
    try:
        body = await series_json(state.cache, state.renderer, audio, settings)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {audio.track_id}: {exc}") from None
    return Response(body, media_type="application/json")


routes = [Route("/api/tracks/{track_id}/loudness", get_loudness)]
