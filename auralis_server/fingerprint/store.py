"""Fingerprints in the database: reading the current one, storing a new one with its status."""

from __future__ import annotations

import hashlib
import math

from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION
from auralis_server.library.models import Fingerprint, Track, database, utc_now
from shared.dimensions import pack_vector, unpack_vector


def current_values(track_id: int) -> dict[str, float] | None:
    """The stored values if they come from the current algorithm version."""
    row = Fingerprint.get_or_none(
        (Fingerprint.track == track_id) & (Fingerprint.algorithm_version == ALGORITHM_VERSION)
    )
    return unpack_vector(bytes(row.vector)) if row is not None else None


def save(
    track_id: int, values: dict[str, float], source: str, histogram: bytes | None = None
) -> None:
    """Store the vector (replacing any older one) and mark the track complete; ``histogram``
    is the packed block-loudness histogram when the job measured one."""
    bad = [name for name, value in values.items() if not math.isfinite(value)]
    if bad:
        raise ValueError(f"refusing to store non-finite fingerprint values: {', '.join(bad)}")
    vector = pack_vector(values)
    now = utc_now()
    with database.atomic():
        Fingerprint.delete().where(Fingerprint.track == track_id).execute()
        Fingerprint.insert(
            track=track_id,
            vector=vector,
            algorithm_version=ALGORITHM_VERSION,
            source=source,
            sha256=hashlib.sha256(vector).hexdigest(),
            computed_at=now,
            loudness_histogram=histogram,
        ).execute()
        Track.update(
            fingerprint_status="complete", fingerprint_computed_at=now, fingerprint_error=None
        ).where(Track.id == track_id).execute()


def set_status(track_id: int, status: str, error: str | None = None) -> None:
    Track.update(fingerprint_status=status, fingerprint_error=error).where(
        Track.id == track_id
    ).execute()


def recover_interrupted() -> int:
    """Tracks left ``processing`` by a server that died go back to ``pending``; their count."""
    return int(
        Track.update(fingerprint_status="pending")
        .where(Track.fingerprint_status == "processing")
        .execute()
    )


def stale_track_ids() -> list[int]:
    """Complete tracks whose stored fingerprint is of another algorithm version (or missing)."""
    current = Fingerprint.select(Fingerprint.track).where(
        Fingerprint.algorithm_version == ALGORITHM_VERSION
    )
    query = Track.select(Track.id).where(
        (Track.fingerprint_status == "complete") & Track.id.not_in(current)
    )
    return [track.id for track in query]


def current_rows(track_ids: list[int]) -> dict[int, tuple[dict[str, float], bytes | None]]:
    """(values, packed loudness histogram or None) of those tracks with a fingerprint of the
    current algorithm version, in one query (an album's worth at a time)."""
    rows = Fingerprint.select(
        Fingerprint.track, Fingerprint.vector, Fingerprint.loudness_histogram
    ).where(Fingerprint.track.in_(track_ids) & (Fingerprint.algorithm_version == ALGORITHM_VERSION))
    return {
        row.track_id: (
            unpack_vector(bytes(row.vector)),
            bytes(row.loudness_histogram) if row.loudness_histogram else None,
        )
        for row in rows
    }


def save_loudness_histogram(track_id: int, histogram: bytes) -> None:
    """Keep a histogram measured on demand on the track's fingerprint row, if it has one."""
    Fingerprint.update(loudness_histogram=histogram).where(Fingerprint.track == track_id).execute()
