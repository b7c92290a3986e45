"""Background fingerprint extraction: a queue in the database feeding a pool of worker processes.

Sources are tried in SPEC order: the database row of the current algorithm version, a
valid ``.25d`` sidecar, a remote fingerprinter (the Rust gRPC server, when one is plugged
in through ``RemoteFingerprinter``), then the Python implementation in a worker process.

The queue is the database (``store.claim_next``), so every server sharing it shares the
work: a track is claimed only when a local worker is free, with a lease this server renews
every third of its length while it works; a server that dies stops renewing, and once the
lease has run out any server claims the track again. A track queued at high priority ("about
to play") is the next one any server claims. Status moves pending → processing → complete or
error; crashed workers are retried with backoff (``attempts`` is counted in the database, so
a file that kills every server that tries it still ends in error). When the database is
locked or unreachable, claims, results and failures are retried with backoff, never dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

import peewee

from auralis_server.audio.source import AudioReadError
from auralis_server.fingerprint import sidecar
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION, FingerprintError
from auralis_server.fingerprint.worker import JobResult, fingerprint_job
from auralis_server.library.models import Track, database, utc_now
from auralis_server.library.worker_guard import watch_parent

log = logging.getLogger("auralis.fingerprint")

HIGH, NORMAL = 0, fingerprint_store.NORMAL_PRIORITY
MAX_ATTEMPTS = 3
_RATE_WINDOW_S = 300.0


class RemoteFingerprinter(Protocol):
    """A fingerprint service outside this process (the Rust gRPC server)."""

    source: str

    def compute(self, path: str) -> dict[str, float]:
        """The 25 values, within the implementation's own deadline; raises on any failure."""
        ...


Publish = Callable[[str, dict[str, Any]], None]

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (peewee.OperationalError, peewee.InterfaceError)
"""What a locked (SQLite) or unreachable (PostgreSQL) database raises: worth waiting out."""
_MAX_DATABASE_BACKOFF_S = 30.0


def default_replica_id() -> str:
    """Unique among the servers sharing a database: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class FingerprintQueue:
    def __init__(
        self,
        *,
        workers: int,
        cache_dir: Path,
        publish: Publish | None = None,
        remote: RemoteFingerprinter | None = None,
        backoff_s: float = 1.0,
        replica_id: str | None = None,
        lease_s: float = 30.0,
    ) -> None:
        self.workers = workers
        self.replica_id = replica_id or default_replica_id()
        self.lease_s = lease_s
        self._cache_dir = cache_dir
        self._publish = publish or (lambda kind, data: None)
        self._remote = remote
        self._backoff_s = backoff_s
        self._in_flight: dict[int, fingerprint_store.Claim] = {}
        self._condition = threading.Condition()
        self._kicked = False
        self._stopping = threading.Event()
        self._pool: ProcessPoolExecutor | None = None
        self._remote_threads: ThreadPoolExecutor | None = None
        self._threads: list[threading.Thread] = []
        self._completed_at: deque[float] = deque()
        self._started_at = time.monotonic()
        self.last_source: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Queue stale fingerprints again, then claim and renew in the background."""
        self._started_at = time.monotonic()
        self._stopping.clear()
        self._until_done("queueing stale fingerprints", fingerprint_store.requeue_stale)
        self._threads = [
            threading.Thread(target=self._dispatch, name="fingerprint-dispatch", daemon=True),
            threading.Thread(target=self._renew, name="fingerprint-lease", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._condition:
            self._condition.notify_all()
        for thread in self._threads:
            thread.join(10)
        for executor in (self._remote_threads, self._pool):
            if executor is not None:  # waits for the jobs already running
                executor.shutdown(wait=True, cancel_futures=True)

    # -- queueing --------------------------------------------------------------------------

    def enqueue(self, track_id: int, priority: int = NORMAL, *, force: bool = False) -> bool:
        """Queue a track (raising its priority if queued already); False if it is being computed."""
        with self._condition:
            if track_id in self._in_flight:
                return False
        queued = fingerprint_store.request(track_id, priority, force=force)
        self._kick()
        return queued

    def enqueue_pending(self) -> int:
        """Look at the queue now (a scan added tracks); how many are claimable."""
        self._kick()
        return fingerprint_store.queue_depth()

    def status(self) -> dict[str, Any]:
        depth = fingerprint_store.queue_depth()
        now = time.monotonic()
        with self._condition:
            while self._completed_at and now - self._completed_at[0] > _RATE_WINDOW_S:
                self._completed_at.popleft()
            window_s = min(_RATE_WINDOW_S, now - self._started_at)
            rate = len(self._completed_at) / window_s * 60.0 if window_s > 0 else 0.0
            return {
                "queue_depth": depth,
                "in_flight": len(self._in_flight),
                "workers": self.workers,
                "rate_per_minute": round(rate, 2),
            }

    def idle(self) -> bool:
        """Nothing left to do here or on any server sharing the database."""
        with self._condition:
            if self._in_flight:
                return False
        return fingerprint_store.unfinished() == 0

    # -- claiming --------------------------------------------------------------------------

    def _kick(self) -> None:
        with self._condition:
            self._kicked = True
            self._condition.notify_all()

    def _free_worker(self) -> bool:
        """Wait for a free worker; False when stopping."""
        with self._condition:
            while not self._stopping.is_set() and len(self._in_flight) >= self.workers:
                self._condition.wait()
            return not self._stopping.is_set()

    def _nap(self, timeout_s: float) -> None:
        """Wait ``timeout_s`` or until something is queued here."""
        with self._condition:
            if not self._kicked and not self._stopping.is_set():
                self._condition.wait(timeout_s)
            self._kicked = False

    def _dispatch(self) -> None:
        failures = 0
        try:
            while self._free_worker():
                try:
                    claim = fingerprint_store.claim_next(self.replica_id, self.lease_s)
                except DATABASE_UNAVAILABLE as exc:
                    failures += 1
                    delay_s = self._database_backoff_s(failures)
                    log.warning("cannot claim fingerprint work (%s); again in %.1f s", exc, delay_s)
                    database.close()
                    self._stopping.wait(delay_s)
                    continue
                failures = 0
                if claim is None:
                    # Other servers' new work and expired leases show up within this.
                    self._nap(self.lease_s / 3)
                    continue
                with self._condition:
                    self._in_flight[claim.track_id] = claim
                if claim.taken_from is not None:
                    log.info(
                        "track %d was left processing by an earlier run or another server (%s) "
                        "and its lease expired; claimed again",
                        claim.track_id,
                        claim.taken_from,
                    )
                try:
                    self._start(claim)
                except Exception as exc:
                    log.exception("track %d: could not start fingerprinting", claim.track_id)
                    self._retry_or_fail(claim, exc)
        finally:
            database.close()

    def _database_backoff_s(self, failures: int) -> float:
        return float(min(self._backoff_s * 2 ** (failures - 1), _MAX_DATABASE_BACKOFF_S))

    def _renew(self) -> None:
        """Every third of a lease, extend the leases of the tracks being worked on here."""
        try:
            while not self._stopping.wait(self.lease_s / 3):
                with self._condition:
                    held = list(self._in_flight)
                if not held:
                    continue
                try:
                    kept = fingerprint_store.renew(held, self.replica_id, self.lease_s)
                except DATABASE_UNAVAILABLE as exc:
                    log.warning("cannot renew fingerprint leases (%s)", exc)
                    database.close()
                    continue
                with self._condition:
                    lost = [t for t in held if t not in kept and t in self._in_flight]
                for track_id in lost:
                    log.warning("track %d: its lease ran out and another server took it", track_id)
        finally:
            database.close()

    def _until_done(self, what: str, action: Callable[[], object], failures: int = 0) -> None:
        """Run a database write now, or again with backoff while the database is unavailable
        (on a timer thread, so the caller never blocks); given up only when stopping, and
        then the lease running out hands the track to another server."""
        try:
            action()
            return
        except DATABASE_UNAVAILABLE as exc:
            failures += 1
            delay_s = self._database_backoff_s(failures)
            log.warning("%s failed (%s); again in %.1f s", what, exc, delay_s)
        finally:
            if threading.current_thread().name.startswith("fingerprint-db-retry"):
                database.close()
        if self._stopping.is_set():
            return
        timer = threading.Timer(delay_s, self._until_done, args=(what, action, failures))
        timer.name = f"fingerprint-db-retry-{failures}"
        timer.daemon = True
        timer.start()

    def _start(self, claim: fingerprint_store.Claim) -> None:
        track = Track.get_or_none(Track.id == claim.track_id)
        if track is None:  # removed by a scan; its job went with it
            self._finish(claim.track_id)
            return
        if not claim.force:
            if fingerprint_store.current_values(track.id) is not None:
                fingerprint_store.set_status(track.id, "complete")
                self._finish(track.id)
                return
            values = sidecar.read(Path(track.path), self._cache_dir, ALGORITHM_VERSION)
            if values is not None:
                self._store(claim, track.path, JobResult(values, 0.0, "sidecar"))
                return
        self._publish("fingerprint", {"track_id": track.id, "status": "processing"})
        if self._remote is not None:
            future: Future[Any] = self._remote_pool().submit(self._compute_remote, track.path)
        else:
            future = self._process_pool().submit(fingerprint_job, track.path)
        future.add_done_callback(lambda done: self._completed(claim, track.path, done))

    def _process_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the server process has threads. Workers end with the server,
            # so a replica killed mid-job leaves no orphan computing for nobody.
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=get_context("spawn"),
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def _remote_pool(self) -> ThreadPoolExecutor:
        if self._remote_threads is None:
            self._remote_threads = ThreadPoolExecutor(
                self.workers, thread_name_prefix="fingerprint-remote"
            )
        return self._remote_threads

    def _compute_remote(self, path: str) -> JobResult:
        """The remote computes the values only: it leaves the block-loudness histogram to the
        first album play (``streaming.album_source``) and the level profile to the first plan
        (``streaming.plan_source``), and measures no true peak."""
        assert self._remote is not None
        started = time.perf_counter()
        try:
            values = self._remote.compute(path)
            return JobResult(values, time.perf_counter() - started, self._remote.source)
        except Exception as exc:  # any failure of the remote falls back to Python
            log.warning("remote fingerprinter failed for %s (%s); computing in Python", path, exc)
            return self._process_pool().submit(fingerprint_job, path).result()

    # -- results ---------------------------------------------------------------------------

    def _completed(self, claim: fingerprint_store.Claim, path: str, done: Future[Any]) -> None:
        try:
            result: JobResult = done.result()
            log.info(
                "track %d fingerprinted by %s in %.2f s",
                claim.track_id,
                result.source,
                result.seconds,
            )
            self._store(claim, path, result)
        except (AudioReadError, FingerprintError) as exc:
            self._fail(claim.track_id, str(exc))
        except Exception as exc:
            if isinstance(exc, BrokenProcessPool):
                self._reset_pool()
            self._retry_or_fail(claim, exc)
        finally:
            database.close()

    def _store(
        self,
        claim: fingerprint_store.Claim,
        path: str,
        result: JobResult,
    ) -> None:
        track_id, values, source = claim.track_id, result.values, result.source

        def save() -> None:
            try:
                fingerprint_store.save(
                    track_id, values, source, result.histogram, result.true_peak, result.profile
                )
            except DATABASE_UNAVAILABLE:
                raise
            except Exception as exc:
                log.exception("track %d: storing the fingerprint failed", track_id)
                self._fail(track_id, f"could not store the fingerprint: {exc}")
                return
            if source != "sidecar":
                try:
                    sidecar.write(Path(path), self._cache_dir, values, ALGORITHM_VERSION)
                except OSError as exc:
                    log.warning("track %d: no sidecar written: %s", track_id, exc)
            self.last_source = source
            with self._condition:
                self._completed_at.append(time.monotonic())
            self._publish(
                "fingerprint", {"track_id": track_id, "status": "complete", "source": source}
            )
            self._finish(track_id)

        self._until_done(f"track {track_id}: storing the fingerprint", save)

    def _fail(self, track_id: int, message: str) -> None:
        log.warning("track %d: fingerprint failed: %s", track_id, message)

        def record() -> None:
            fingerprint_store.set_status(track_id, "error", message)
            self._publish(
                "fingerprint", {"track_id": track_id, "status": "error", "error": message}
            )
            self._finish(track_id)

        self._until_done(f"track {track_id}: recording the failure", record)

    def _retry_or_fail(self, claim: fingerprint_store.Claim, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if claim.attempts >= MAX_ATTEMPTS:
            self._fail(claim.track_id, f"failed after {claim.attempts} attempts: {reason}")
            return
        delay_s = self._backoff_s * 4 ** (claim.attempts - 1)
        log.warning(
            "track %d: attempt %d failed (%s); retrying in %.1f s",
            claim.track_id,
            claim.attempts,
            reason,
            delay_s,
        )
        retry_at = utc_now() + dt.timedelta(seconds=delay_s)

        def release() -> None:
            fingerprint_store.release_for_retry(claim.track_id, self.replica_id, retry_at)
            self._finish(claim.track_id)
            timer = threading.Timer(delay_s, self._kick)  # claimable again then
            timer.daemon = True
            timer.start()

        self._until_done(f"track {claim.track_id}: queueing a retry", release)

    def _reset_pool(self) -> None:
        with self._condition:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=False)

    def _finish(self, track_id: int) -> None:
        with self._condition:
            self._in_flight.pop(track_id, None)
            self._condition.notify_all()
