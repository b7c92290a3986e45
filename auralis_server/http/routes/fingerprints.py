"""Fingerprint and mastering-plan resources."""

from __future__ import annotations

import peewee
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auralis_server.audio.source import AudioReadError
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.scheduler import HIGH, FingerprintQueue
from auralis_server.http.errors import Overloaded, UnreadableAudio
from auralis_server.http.params import plan_from_query, track_id_from
from auralis_server.http.state import state_of
from auralis_server.library import queries as library
from auralis_server.library.models import FINGERPRINT_STATUSES, Fingerprint, Track
from shared.dimensions import unpack_vector


def get_fingerprint(request: Request) -> JSONResponse:
    track = library.get_track(track_id_from(request.path_params))
    row = Fingerprint.get_or_none(Fingerprint.track == track.id)
    return JSONResponse(
        {
            "track_id": track.id,
            "status": track.fingerprint_status,
            "error": track.fingerprint_error,
            "source": row.source if row else None,
            "algorithm_version": row.algorithm_version if row else None,
            "computed_at": row.computed_at.isoformat() + "Z" if row else None,
            "values": unpack_vector(bytes(row.vector)) if row else None,
        }
    )


def enqueue_fingerprint(request: Request) -> JSONResponse:
    track = library.get_track(track_id_from(request.path_params))
    if track.scan_error:
        raise UnreadableAudio(f"track {track.id} is not playable: {track.scan_error}")
    queue = state_of(request).fingerprints
    if queue.workers == 0:
        raise Overloaded("background fingerprinting is disabled (fingerprint_workers = 0)")
    force = request.query_params.get("force") in ("1", "true")
    if track.fingerprint_status in ("complete", "error"):
        fingerprint_store.set_status(track.id, "pending")
    queued = queue.enqueue(track.id, HIGH, force=force)
    return JSONResponse(
        {
            "track_id": track.id,
            "queued": queued,
            "priority": "high",
            "status": "pending" if queued else "processing",
        },
        status_code=202,
    )


def fingerprint_status(request: Request) -> JSONResponse:
    counts = dict.fromkeys(FINGERPRINT_STATUSES, 0)
    rows = Track.select(Track.fingerprint_status, peewee.fn.COUNT(Track.id)).group_by(
        Track.fingerprint_status
    )
    for status, count in rows.tuples():
        counts[status] = count
    queue = state_of(request).fingerprints
    return JSONResponse({"counts": counts, "backend": backend_name(queue), **queue.status()})


def backend_name(queue: FingerprintQueue) -> str | None:
    """Where new fingerprints come from: None when background extraction is off."""
    if queue.workers == 0:
        return None
    return "python" if queue.last_source in (None, "python", "sidecar") else queue.last_source


def get_plan(request: Request) -> JSONResponse:
    """The mastering plan; ``inputs`` says whether it came from the fingerprint or a cold read,
    ``loudness`` the mode it was made in and ``album`` the album loudness it levels to."""
    state = state_of(request)
    settings = plan_from_query(request.query_params)
    track = library.get_track(track_id_from(request.path_params))
    audio = library.playable_audio(track, state.settings.chunk_seconds)
    try:
        choice = state.plans.choose(audio, settings.preset, settings.intensity, settings.loudness)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {track.id}: {exc}") from None
    return JSONResponse(
        {
            "track_id": track.id,
            "inputs": choice.inputs,
            "loudness": choice.loudness,
            "album": choice.album.as_dict() if choice.album is not None else None,
            "plan": choice.plan.as_dict(),
        }
    )


routes = [
    Route("/api/tracks/{track_id}/fingerprint", get_fingerprint, methods=["GET"]),
    Route("/api/tracks/{track_id}/fingerprint", enqueue_fingerprint, methods=["POST"]),
    Route("/api/fingerprints/status", fingerprint_status),
    Route("/api/tracks/{track_id}/plan", get_plan),
]
