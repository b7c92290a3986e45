"""The shared fingerprint queue on both databases: claims, leases, priority, takeover.

Replicas are modelled as claimers with their own ids on their own threads (each thread has its
own database connection, so they race in the database exactly as two servers would).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from auralis_server.fingerprint import store
from auralis_server.fingerprint.scheduler import HIGH, NORMAL, FingerprintQueue
from auralis_server.library.models import FingerprintJob, Track, database, utc_now
from auralis_server.library.scanner import Scanner
from tests.conftest import write_audio

LEASE_S = 30.0


def _pending_tracks(count: int) -> list[int]:
    rows = [
        {"path": f"/music/{index:03d}.flac", "size": 1, "mtime_ns": 1} for index in range(count)
    ]
    Track.insert_many(rows).execute()
    return [track.id for track in Track.select(Track.id).order_by(Track.id)]


def _expire(track_id: int) -> None:
    """What the passing of a whole lease does to a claim no one renews."""
    past = utc_now() - dt.timedelta(seconds=1)
    FingerprintJob.update(lease_expires_at=past).where(FingerprintJob.track == track_id).execute()


def test_racing_claimers_never_get_the_same_track(db: Path) -> None:
    ids = _pending_tracks(200)
    claimed: dict[str, list[int]] = {f"replica-{n}": [] for n in range(6)}
    start = threading.Barrier(len(claimed))
    errors: list[BaseException] = []

    def claimer(replica: str) -> None:
        try:
            start.wait()
            while (claim := store.claim_next(replica, LEASE_S)) is not None:
                claimed[replica].append(claim.track_id)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=claimer, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    every_claim = [track_id for claims in claimed.values() for track_id in claims]
    assert Counter(every_claim) == Counter(ids)  # each track once, none twice, none missed
    holders = {job.track_id: job.claimed_by for job in FingerprintJob.select()}
    assert holders == {t: name for name, claims in claimed.items() for t in claims}
    assert Track.select().where(Track.fingerprint_status != "processing").count() == 0


def test_an_expired_lease_is_taken_over_by_another_replica(db: Path) -> None:
    (track_id,) = _pending_tracks(1)
    first = store.claim_next("a", LEASE_S)
    assert first is not None and (first.track_id, first.attempts, first.taken_from) == (
        track_id,
        1,
        None,
    )
    assert store.claim_next("b", LEASE_S) is None  # a's lease still runs
    _expire(track_id)
    second = store.claim_next("b", LEASE_S)
    assert second is not None and (second.track_id, second.attempts, second.taken_from) == (
        track_id,
        2,
        "a",
    )
    assert store.renew([track_id], "a", LEASE_S) == set()  # a learns it lost the track
    assert FingerprintJob.get_by_id(track_id).claimed_by == "b"


def test_a_renewed_lease_keeps_the_track(db: Path) -> None:
    (track_id,) = _pending_tracks(1)
    assert store.claim_next("a", LEASE_S) is not None
    _expire(track_id)
    assert store.renew([track_id], "a", LEASE_S) == {track_id}  # renewed before b looked
    assert store.claim_next("b", LEASE_S) is None
    assert FingerprintJob.get_by_id(track_id).lease_expires_at > utc_now()


def test_a_track_about_to_play_is_claimed_first_by_any_replica(db: Path) -> None:
    ids = _pending_tracks(5)
    assert store.request(ids[3], HIGH)
    assert store.request(ids[1], NORMAL)  # queuing again at normal priority changes nothing
    order = []
    for replica in ("a", "b", "a", "b", "a"):
        claim = store.claim_next(replica, LEASE_S)
        assert claim is not None
        order.append(claim.track_id)
    assert order == [ids[3], ids[0], ids[1], ids[2], ids[4]]
    assert store.claim_next("b", LEASE_S) is None


def test_a_held_track_is_not_queued_again_but_a_finished_one_is(db: Path) -> None:
    (track_id,) = _pending_tracks(1)
    assert store.claim_next("a", LEASE_S) is not None
    assert not store.request(track_id, HIGH)  # being computed: nothing to queue
    assert Track.get_by_id(track_id).fingerprint_status == "processing"
    store.set_status(track_id, "error", "unreadable")
    assert not FingerprintJob.select().exists()  # a final status ends the job
    assert store.request(track_id, HIGH, force=True)
    claim = store.claim_next("b", LEASE_S)
    assert claim is not None and claim.force and claim.attempts == 1


def test_a_retry_waits_out_its_backoff_then_anyone_may_claim_it(db: Path) -> None:
    (track_id,) = _pending_tracks(1)
    assert store.claim_next("a", LEASE_S) is not None
    store.release_for_retry(track_id, "a", utc_now() + dt.timedelta(hours=1))
    assert Track.get_by_id(track_id).fingerprint_status == "pending"
    assert store.claim_next("b", LEASE_S) is None and store.queue_depth() == 0
    assert store.unfinished() == 1  # waiting, not dropped
    FingerprintJob.update(retry_at=utc_now()).execute()
    claim = store.claim_next("b", LEASE_S)
    assert claim is not None and claim.attempts == 2 and claim.taken_from is None


def test_a_processing_track_left_by_a_server_before_leases_is_claimed(db: Path) -> None:
    (track_id,) = _pending_tracks(1)
    Track.update(fingerprint_status="processing").execute()  # no job row: an older server's
    claim = store.claim_next("a", LEASE_S)
    assert claim is not None and claim.taken_from == "unknown"


@pytest.mark.parametrize("status", ["complete", "error"])
def test_only_pending_and_abandoned_tracks_are_claimable(db: Path, status: str) -> None:
    _pending_tracks(2)
    Track.update(fingerprint_status=status).execute()
    assert store.claim_next("a", LEASE_S) is None and store.unfinished() == 0


def test_a_working_replica_renews_its_lease_so_no_other_takes_the_track(
    db: Path, tmp_path: Path
) -> None:
    """The job outlives several leases; another replica trying all along never gets it."""
    write_audio(tmp_path / "music" / "long.wav", 150.0, seed=9)
    Scanner([tmp_path / "music"], workers=1).run()
    done = threading.Event()
    events: list[str] = []

    def publish(kind: str, data: dict[str, Any]) -> None:
        events.append(data["status"])
        if data["status"] in ("complete", "error"):
            done.set()

    queue = FingerprintQueue(
        workers=1, cache_dir=tmp_path / "cache", publish=publish, lease_s=0.6, replica_id="a"
    )
    taken: list[int] = []
    leases: set[dt.datetime] = set()
    queue.start()
    try:
        while not done.wait(0.05):
            claim = store.claim_next("b", LEASE_S)
            if claim is not None:
                taken.append(claim.track_id)
            job = FingerprintJob.get_or_none(FingerprintJob.claimed_by == "a")
            if job is not None:
                leases.add(job.lease_expires_at)
    finally:
        queue.stop()
        database.close()
    assert taken == [] and events == ["processing", "complete"]
    assert len(leases) >= 3  # renewed again and again while it worked
