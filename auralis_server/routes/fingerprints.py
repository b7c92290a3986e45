"""Fingerprint and mastering-plan resources.

The fingerprint engine and the mastering chain are not built yet: these endpoints report
the stored state truthfully (status ``pending``, no values) and refuse work they cannot do.
"""

from __future__ import annotations

import peewee
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auralis_server import library
from auralis_server.db import FINGERPRINT_STATUSES, Fingerprint, Track
from auralis_server.errors import NotImplementedYet
from auralis_server.request_params import plan_from_query
from shared.dimensions import unpack_vector


def get_fingerprint(request: Request) -> JSONResponse:
    track = library.get_track(request.path_params["track_id"])
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
    library.get_track(request.path_params["track_id"])
    raise NotImplementedYet("the fingerprint engine is not built yet; tracks stay pending")


def fingerprint_status(request: Request) -> JSONResponse:
    counts = dict.fromkeys(FINGERPRINT_STATUSES, 0)
    rows = Track.select(Track.fingerprint_status, peewee.fn.COUNT(Track.id)).group_by(
        Track.fingerprint_status
    )
    for status, count in rows.tuples():
        counts[status] = count
    return JSONResponse(
        {"counts": counts, "queue_depth": 0, "workers": 0, "backend": None, "rate_per_minute": 0.0}
    )


def get_plan(request: Request) -> JSONResponse:
    track = library.get_track(request.path_params["track_id"])
    plan = plan_from_query(request.query_params)
    return JSONResponse(
        {
            "track_id": track.id,
            "status": "pending",
            "detail": "mastering is not built yet; streams carry the original audio",
            "plan": plan.as_dict(),
        }
    )


routes = [
    Route("/api/tracks/{track_id:int}/fingerprint", get_fingerprint, methods=["GET"]),
    Route("/api/tracks/{track_id:int}/fingerprint", enqueue_fingerprint, methods=["POST"]),
    Route("/api/fingerprints/status", fingerprint_status),
    Route("/api/tracks/{track_id:int}/plan", get_plan),
]
