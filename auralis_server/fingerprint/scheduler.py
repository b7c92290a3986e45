"""Background fingerprint extraction: a priority queue feeding a pool of worker processes.

Sources are tried in SPEC order: the database row of the current algorithm version, a
valid ``.25d`` sidecar, a remote fingerprinter (the Rust gRPC server, when one is plugged
in through ``RemoteFingerprinter``), then the Python implementation in a worker process.
Work is handed to the pool only when a worker is free, so a track queued at high priority
("about to play") is the next one to start. Status moves pending → processing → complete
or error in the database; crashed workers are retried with backoff; on start-up, tracks a
killed server left ``processing`` go back to ``pending``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from auralis_server.audio.source import AudioReadError
from auralis_server.fingerprint import sidecar
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION, FingerprintError
from auralis_server.fingerprint.worker import fingerprint_job
from auralis_server.library.models import Track, database

log = logging.getLogger("auralis.fingerprint")

HIGH, NORMAL = 0, 1
MAX_ATTEMPTS = 3
_RATE_WINDOW_S = 300.0


class RemoteFingerprinter(Protocol):
    """A fingerprint service outside this process (the Rust gRPC server)."""

    source: str

    def compute(self, path: str) -> dict[str, float]:
        """The 25 values, within the implementation's own deadline; raises on any failure."""
        ...


@dataclass(order=True)
class _Job:
    priority: int
    sequence: int
    track_id: int = field(compare=False)
    attempt: int = field(default=1, compare=False)
    force: bool = field(default=False, compare=False)


Publish = Callable[[str, dict[str, Any]], None]


class FingerprintQueue:
    def __init__(
        self,
        *,
        workers: int,
        cache_dir: Path,
        publish: Publish | None = None,
        remote: RemoteFingerprinter | None = None,
        backoff_s: float = 1.0,
    ) -> None:
        self.workers = workers
        self._cache_dir = cache_dir
        self._publish = publish or (lambda kind, data: None)
        self._remote = remote
        self._backoff_s = backoff_s
        self._heap: list[_Job] = []
        self._queued: dict[int, _Job] = {}
        self._in_flight: set[int] = set()
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._stopping = False
        self._pool: ProcessPoolExecutor | None = None
        self._remote_threads: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None
        self._completed_at: deque[float] = deque()
        self._started_at = time.monotonic()
        self.last_source: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Recover interrupted work, queue everything pending, start dispatching."""
        self._started_at = time.monotonic()
        recovered = fingerprint_store.recover_interrupted()
        if recovered:
            log.info("%d tracks were left processing by an earlier run; queued again", recovered)
        self.enqueue_pending()
        for track_id in fingerprint_store.stale_track_ids():
            self.enqueue(track_id)
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="fingerprint-dispatch", daemon=True
        )
        self._dispatcher.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join(10)
        for executor in (self._remote_threads, self._pool):
            if executor is not None:  # waits for the jobs already running, drops the rest
                executor.shutdown(wait=True, cancel_futures=True)

    # -- queueing --------------------------------------------------------------------------

    def enqueue(self, track_id: int, priority: int = NORMAL, *, force: bool = False) -> bool:
        """Queue a track (raising its priority if queued already); False if it is being computed."""
        with self._condition:
            if track_id in self._in_flight:
                return False
            queued = self._queued.get(track_id)
            if queued is not None and queued.priority <= priority and not force:
                return True
            job = _Job(priority, next(self._sequence), track_id, force=force)
            self._queued[track_id] = job  # an older heap entry for it is skipped when popped
            heapq.heappush(self._heap, job)
            self._condition.notify_all()
        return True

    def enqueue_pending(self) -> int:
        ids = [t.id for t in Track.select(Track.id).where(Track.fingerprint_status == "pending")]
        for track_id in ids:
            self.enqueue(track_id)
        return len(ids)

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        with self._condition:
            while self._completed_at and now - self._completed_at[0] > _RATE_WINDOW_S:
                self._completed_at.popleft()
            window_s = min(_RATE_WINDOW_S, now - self._started_at)
            rate = len(self._completed_at) / window_s * 60.0 if window_s > 0 else 0.0
            return {
                "queue_depth": len(self._queued),
                "in_flight": len(self._in_flight),
                "workers": self.workers,
                "rate_per_minute": round(rate, 2),
            }

    def idle(self) -> bool:
        with self._condition:
            return not self._queued and not self._in_flight

    # -- dispatching -----------------------------------------------------------------------

    def _next_job(self) -> _Job | None:
        with self._condition:
            while not self._stopping:
                if self._heap and len(self._in_flight) < self.workers:
                    job = heapq.heappop(self._heap)
                    if self._queued.get(job.track_id) is not job:
                        continue  # superseded by a re-queue at another priority
                    del self._queued[job.track_id]
                    self._in_flight.add(job.track_id)
                    return job
                self._condition.wait()
            return None

    def _dispatch(self) -> None:
        try:
            while (job := self._next_job()) is not None:
                try:
                    self._start(job)
                except Exception:
                    log.exception("track %d: could not start fingerprinting", job.track_id)
                    self._finish(job.track_id)
        finally:
            database.close()

    def _start(self, job: _Job) -> None:
        track = Track.get_or_none(Track.id == job.track_id)
        if track is None or track.scan_error:
            self._finish(job.track_id)
            return
        if not job.force:
            if fingerprint_store.current_values(track.id) is not None:
                fingerprint_store.set_status(track.id, "complete")
                self._finish(track.id)
                return
            values = sidecar.read(Path(track.path), self._cache_dir, ALGORITHM_VERSION)
            if values is not None:
                self._store(track.id, track.path, values, "sidecar")
                return
        fingerprint_store.set_status(track.id, "processing")
        self._publish("fingerprint", {"track_id": track.id, "status": "processing"})
        if self._remote is not None:
            future: Future[Any] = self._remote_pool().submit(self._compute_remote, track.path)
        else:
            future = self._process_pool().submit(fingerprint_job, track.path)
        future.add_done_callback(lambda done: self._completed(job, track.path, done))

    def _process_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the server process has threads.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
        return self._pool

    def _remote_pool(self) -> ThreadPoolExecutor:
        if self._remote_threads is None:
            self._remote_threads = ThreadPoolExecutor(
                self.workers, thread_name_prefix="fingerprint-remote"
            )
        return self._remote_threads

    def _compute_remote(self, path: str) -> tuple[Any, ...]:
        """(values, seconds, source[, histogram]): the remote leaves the block-loudness
        histogram to the first album play (``streaming.album_source``)."""
        assert self._remote is not None
        started = time.perf_counter()
        try:
            return self._remote.compute(path), time.perf_counter() - started, self._remote.source
        except Exception as exc:  # any failure of the remote falls back to Python
            log.warning("remote fingerprinter failed for %s (%s); computing in Python", path, exc)
            return self._process_pool().submit(fingerprint_job, path).result()

    # -- results ---------------------------------------------------------------------------

    def _completed(self, job: _Job, path: str, done: Future[Any]) -> None:
        try:
            result = done.result()
            values, seconds = result[0], result[1]
            source = result[2] if len(result) > 2 else "python"
            histogram = result[3] if len(result) > 3 else None
            log.info("track %d fingerprinted by %s in %.2f s", job.track_id, source, seconds)
            self._store(job.track_id, path, values, source, histogram)
        except (AudioReadError, FingerprintError) as exc:
            self._fail(job.track_id, str(exc))
        except Exception as exc:
            if isinstance(exc, BrokenProcessPool):
                self._reset_pool()
            self._retry_or_fail(job, exc)
        finally:
            database.close()

    def _store(
        self,
        track_id: int,
        path: str,
        values: dict[str, float],
        source: str,
        histogram: bytes | None = None,
    ) -> None:
        try:
            fingerprint_store.save(track_id, values, source, histogram)
            if source != "sidecar":
                sidecar.write(Path(path), self._cache_dir, values, ALGORITHM_VERSION)
        except Exception as exc:
            log.exception("track %d: storing the fingerprint failed", track_id)
            self._fail(track_id, f"could not store the fingerprint: {exc}")
            return
        self.last_source = source
        with self._condition:
            self._completed_at.append(time.monotonic())
        self._publish("fingerprint", {"track_id": track_id, "status": "complete", "source": source})
        self._finish(track_id)

    def _fail(self, track_id: int, message: str) -> None:
        log.warning("track %d: fingerprint failed: %s", track_id, message)
        fingerprint_store.set_status(track_id, "error", message)
        self._publish("fingerprint", {"track_id": track_id, "status": "error", "error": message})
        self._finish(track_id)

    def _retry_or_fail(self, job: _Job, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if job.attempt >= MAX_ATTEMPTS:
            self._fail(job.track_id, f"failed after {job.attempt} attempts: {reason}")
            return
        delay_s = self._backoff_s * 4 ** (job.attempt - 1)
        log.warning(
            "track %d: attempt %d failed (%s); retrying in %.1f s",
            job.track_id,
            job.attempt,
            reason,
            delay_s,
        )
        fingerprint_store.set_status(job.track_id, "pending")
        self._finish(job.track_id)
        retry = _Job(job.priority, next(self._sequence), job.track_id, job.attempt + 1, job.force)
        timer = threading.Timer(delay_s, self._requeue, args=(retry,))
        timer.daemon = True
        timer.start()

    def _requeue(self, job: _Job) -> None:
        with self._condition:
            if self._stopping or job.track_id in self._queued or job.track_id in self._in_flight:
                return
            self._queued[job.track_id] = job
            heapq.heappush(self._heap, job)
            self._condition.notify_all()

    def _reset_pool(self) -> None:
        with self._condition:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=False)

    def _finish(self, track_id: int) -> None:
        with self._condition:
            self._in_flight.discard(track_id)
            self._condition.notify_all()
