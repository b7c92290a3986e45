"""Fingerprints in the database: reading the current one, storing a new one with its status.

The queue is in the database too, so replicas sharing it share the work: `claim_next` hands
the most urgent claimable track to one replica with a lease (``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL, an immediate — write-locked — transaction on SQLite), `renew` keeps
it, and a lease that ran out (its replica died) makes the track claimable by anyone. Storing
or failing a track ends its `FingerprintJob`. Times are UTC from the replicas' clocks, which
must agree to well within a lease (NTP does).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import peewee

from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION
from auralis_server.library.models import Fingerprint, FingerprintJob, Track, database, utc_now
from shared.dimensions import pack_vector, unpack_vector


@dataclass(frozen=True)
class Stored:
    """A current fingerprint row: the values, and what was measured with them (packed)."""

    values: dict[str, float]
    histogram: bytes | None  # block-loudness counts (audio.loudness.pack_histogram)
    profile: bytes | None  # the level profile (mastering.profile.LevelProfile.pack)


def current_values(track_id: int) -> dict[str, float] | None:
    """The stored values if they come from the current algorithm version."""
    stored = current_rows([track_id]).get(track_id)
    return stored.values if stored is not None else None


def _blob(value: bytes | memoryview | None) -> bytes | None:
    return bytes(value) if value else None


def save(
    track_id: int,
    values: dict[str, float],
    source: str,
    histogram: bytes | None = None,
    true_peak: float | None = None,
    profile: bytes | None = None,
) -> None:
    """Store the vector (replacing any older one) and mark the track complete; ``histogram``
    (packed block-loudness counts), ``true_peak`` (linear) and ``profile`` (packed level
    profile) when the job measured them."""
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
            true_peak=true_peak if true_peak is not None and math.isfinite(true_peak) else None,
            level_profile=profile,
        ).execute()
        Track.update(
            fingerprint_status="complete", fingerprint_computed_at=now, fingerprint_error=None
        ).where(Track.id == track_id).execute()
        FingerprintJob.delete().where(FingerprintJob.track == track_id).execute()


def set_status(track_id: int, status: str, error: str | None = None) -> None:
    """Set the status; a final one (complete, error) also ends the track's job."""
    with database.atomic():
        Track.update(fingerprint_status=status, fingerprint_error=error).where(
            Track.id == track_id
        ).execute()
        if status in ("complete", "error"):
            FingerprintJob.delete().where(FingerprintJob.track == track_id).execute()


def stale_track_ids() -> list[int]:
    """Complete tracks whose stored fingerprint is of another algorithm version (or missing)."""
    current = Fingerprint.select(Fingerprint.track).where(
        Fingerprint.algorithm_version == ALGORITHM_VERSION
    )
    query = Track.select(Track.id).where(
        (Track.fingerprint_status == "complete") & Track.id.not_in(current)
    )
    return [track.id for track in query]


def current_rows(track_ids: list[int]) -> dict[int, Stored]:
    """The rows of those tracks with a fingerprint of the current algorithm version, in one
    query (an album's worth at a time)."""
    rows = Fingerprint.select(
        Fingerprint.track,
        Fingerprint.vector,
        Fingerprint.loudness_histogram,
        Fingerprint.level_profile,
    ).where(Fingerprint.track.in_(track_ids) & (Fingerprint.algorithm_version == ALGORITHM_VERSION))
    return {
        row.track_id: Stored(
            unpack_vector(bytes(row.vector)),
            _blob(row.loudness_histogram),
            _blob(row.level_profile),
        )
        for row in rows
    }


def true_peaks(track_ids: list[int]) -> dict[int, float]:
    """The stored true peaks (linear) of those tracks that have one, in one query."""
    rows = Fingerprint.select(Fingerprint.track, Fingerprint.true_peak).where(
        Fingerprint.track.in_(track_ids) & Fingerprint.true_peak.is_null(False)
    )
    return {track_id: float(peak) for track_id, peak in rows.tuples()}


def save_loudness_histogram(track_id: int, histogram: bytes) -> None:
    """Keep a histogram measured on demand on the track's fingerprint row, if it has one."""
    Fingerprint.update(loudness_histogram=histogram).where(Fingerprint.track == track_id).execute()


def save_level_profile(track_id: int, profile: bytes) -> None:
    """Keep a level profile measured on demand on the track's fingerprint row, if it has one."""
    Fingerprint.update(level_profile=profile).where(Fingerprint.track == track_id).execute()


# -- the shared queue -----------------------------------------------------------------------

NORMAL_PRIORITY = 1


@dataclass(frozen=True)
class Claim:
    """A track this replica now holds: ``attempts`` counts this claim; ``taken_from`` names
    the replica whose lease had expired if the track was taken over ("unknown": a server
    from before leases left it processing)."""

    track_id: int
    force: bool
    attempts: int
    taken_from: str | None


@contextlib.contextmanager
def _write_transaction() -> Iterator[None]:
    """A transaction that takes SQLite's write lock at BEGIN: two claimers then run one after
    the other instead of both reading the same row and one failing at its write."""
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase) and not db.in_transaction():
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with database.atomic():
            yield


def _claimable(now: dt.datetime) -> peewee.Expression:
    waiting = (Track.fingerprint_status == "pending") & (
        FingerprintJob.retry_at.is_null() | (FingerprintJob.retry_at <= now)
    )
    abandoned = (Track.fingerprint_status == "processing") & (
        FingerprintJob.lease_expires_at.is_null() | (FingerprintJob.lease_expires_at < now)
    )
    return Track.scan_error.is_null() & (waiting | abandoned)


def _queue(now: dt.datetime) -> peewee.ModelSelect:
    return (
        Track.select()
        .join(FingerprintJob, peewee.JOIN.LEFT_OUTER, on=FingerprintJob.track == Track.id)
        .where(_claimable(now))
    )


def claim_next(replica: str, lease_s: float) -> Claim | None:
    """Take the most urgent claimable track (priority, then id) for ``lease_s`` seconds.

    On PostgreSQL the row found is locked, then read again: under READ COMMITTED the locking
    read re-checks only the track row's new version against the condition, while the job row
    it joined may be one another claimer has replaced meanwhile (its fresh claim would look
    expired). The second read, a new statement, sees every claim committed before the lock.
    """
    now = utc_now()
    postgresql = isinstance(database.obj, peewee.PostgresqlDatabase)
    columns = (
        Track.id,
        Track.fingerprint_status,
        FingerprintJob.claimed_by,
        FingerprintJob.force,
        FingerprintJob.attempts,
    )
    with _write_transaction():
        while True:
            query = (
                _queue(now)
                .select(*columns)
                .order_by(peewee.fn.COALESCE(FingerprintJob.priority, NORMAL_PRIORITY), Track.id)
                .limit(1)
            )
            if postgresql:
                query = query.for_update(of=Track, skip_locked=True)
            row = query.tuples().first()
            if row is None:
                return None
            if postgresql:
                row = _queue(now).select(*columns).where(Track.id == row[0]).tuples().first()
                if row is None:
                    continue  # claimed just before we locked it; look again
            break
        track_id, status, claimed_by, force, attempts = row
        attempts = (attempts or 0) + 1
        lease = now + dt.timedelta(seconds=lease_s)
        FingerprintJob.insert(
            track=track_id, attempts=attempts, claimed_by=replica, lease_expires_at=lease
        ).on_conflict(
            conflict_target=[FingerprintJob.track],
            update={
                FingerprintJob.attempts: attempts,
                FingerprintJob.claimed_by: replica,
                FingerprintJob.lease_expires_at: lease,
                FingerprintJob.retry_at: None,
            },
        ).execute()
        Track.update(fingerprint_status="processing").where(Track.id == track_id).execute()
    taken_from = (claimed_by or "unknown") if status == "processing" else None
    return Claim(track_id, bool(force), attempts, taken_from)


def renew(track_ids: list[int], replica: str, lease_s: float) -> set[int]:
    """Extend this replica's leases on ``track_ids``; the ids it still holds."""
    if not track_ids:
        return set()
    lease = utc_now() + dt.timedelta(seconds=lease_s)
    held = (FingerprintJob.track.in_(track_ids)) & (FingerprintJob.claimed_by == replica)
    with _write_transaction():
        FingerprintJob.update(lease_expires_at=lease).where(held).execute()
        return {row.track_id for row in FingerprintJob.select(FingerprintJob.track).where(held)}


def request(track_id: int, priority: int, *, force: bool = False) -> bool:
    """Queue a track at ``priority`` (never lowering it): False when a replica holds it.

    A complete or failed track goes back to pending; ``force`` recomputes even a current one.
    """
    asked = (
        (FingerprintJob.track == track_id)
        & (Track.fingerprint_status == "pending")
        & (FingerprintJob.priority <= priority)
        & FingerprintJob.retry_at.is_null()
    )
    if force:
        asked &= FingerprintJob.force == True  # noqa: E712  (SQL, not Python)
    queued = FingerprintJob.select().join(Track).where(asked)
    if queued.exists():  # as asked already: no write (a stream asks at every chunk)
        return True
    now = utc_now()
    with _write_transaction():
        rows = Track.select().where(Track.id == track_id)
        if isinstance(database.obj, peewee.PostgresqlDatabase):
            rows = rows.for_update()  # not claimed meanwhile
        track = rows.first()
        if track is None:
            return False
        job = FingerprintJob.get_or_none(FingerprintJob.track == track_id)
        if track.fingerprint_status == "processing" and job is not None:
            if job.lease_expires_at is not None and job.lease_expires_at >= now:
                return False
        if job is None:
            FingerprintJob.insert(track=track_id, priority=priority, force=force).execute()
        else:
            FingerprintJob.update(
                priority=min(job.priority, priority),
                force=job.force or force,
                attempts=0,
                retry_at=None,
            ).where(FingerprintJob.track == track_id).execute()
        if track.fingerprint_status != "pending":
            Track.update(fingerprint_status="pending", fingerprint_error=None).where(
                Track.id == track_id
            ).execute()
    return True


def release_for_retry(track_id: int, replica: str, retry_at: dt.datetime) -> None:
    """Give a held track back to the queue, claimable by anyone from ``retry_at`` on."""
    with _write_transaction():
        updated = (
            FingerprintJob.update(claimed_by=None, lease_expires_at=None, retry_at=retry_at)
            .where((FingerprintJob.track == track_id) & (FingerprintJob.claimed_by == replica))
            .execute()
        )
        if updated:
            Track.update(fingerprint_status="pending").where(Track.id == track_id).execute()


def queue_depth() -> int:
    """Tracks any replica could claim now."""
    return int(_queue(utc_now()).count())


def unfinished() -> int:
    """Tracks pending (now or after a backoff) or held by a replica."""
    return int(
        Track.select()
        .where(Track.scan_error.is_null() & Track.fingerprint_status.in_(("pending", "processing")))
        .count()
    )


def requeue_stale() -> int:
    """Complete tracks whose fingerprint is of another algorithm version go back to pending."""
    ids = stale_track_ids()
    if ids:
        Track.update(fingerprint_status="pending").where(Track.id.in_(ids)).execute()
    return len(ids)
