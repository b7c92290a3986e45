"""Chunk renders run earliest deadline first, on worker processes so every core works.

A listener about to start needs its first chunk now; a listener three chunks ahead needs
its next one in ~30 s. Served first come, first served, a start waits behind everybody's
prefetch (issue 16 measured 2.8 s at the median with 100 listeners). Here each render
carries the moment its listener will need it, and a free worker always takes the earliest.

Earliest first is not enough on a small box: a render cannot be interrupted, so a start
still waited for a read-ahead render to finish, and then shared the cores with the others
(at 100 listeners on two cores a start waited 150 ms at the median and 460 ms at p95 for
its worker). So the process pool has two lanes: read-ahead runs on ``workers`` background
processes at a lower CPU priority (niceness ``BACKGROUND_NICENESS``), and one more process
at the server's own priority takes only what is due within ``URGENT_WITHIN_S`` — a start,
or a chunk a listener is about to run out without. An urgent render so never waits for
read-ahead, and the kernel gives it the cores while it runs; read-ahead uses what is left,
which is all of them when nobody is starting.

Renders are CPU-bound numpy/scipy work; in worker processes they do not share one
interpreter. Each lane holds at most one job per worker, so the order of what waits is this
module's, not the executor's FIFO. A job whose every waiter went away before it started is
dropped. ``executor=None`` runs jobs on threads of this process, one lane (the tests'
servers, and `--render-processes 0`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, Generic, TypeVar

from auralis_server.library.worker_guard import watch_process

log = logging.getLogger("auralis.render")

T = TypeVar("T")

URGENT_WITHIN_S = 2.0
"""A render due this soon is urgent: it may take the urgent lane's worker."""
BACKGROUND_NICENESS = 10
"""How much lower the read-ahead workers' CPU priority is (nice 10 weighs ~1/10 of nice 0)."""


@dataclass(order=True)
class _Waiting(Generic[T]):
    deadline: float  # loop time (time.monotonic) by which the result is needed
    sequence: int  # first come first served among equal deadlines
    work: Callable[[], T] = field(compare=False)
    result: asyncio.Future[T] = field(compare=False)


@dataclass
class _Lane:
    """Workers that run one job each at a time."""

    executor: Executor
    workers: int
    running: int = 0

    @property
    def free(self) -> bool:
        return self.running < self.workers


class DeadlinePool:
    """Runs zero-argument callables, earliest deadline first, ``workers`` at a time (plus
    ``urgent_workers`` that take only jobs due within ``URGENT_WITHIN_S``)."""

    def __init__(self, workers: int, *, processes: bool, urgent_workers: int = 0) -> None:
        self.workers = max(1, workers)
        self.processes = processes
        self._background = self._lane(
            self.workers, BACKGROUND_NICENESS if urgent_workers else 0, "render"
        )
        self._urgent = self._lane(urgent_workers, 0, "render-urgent") if urgent_workers else None
        self._waiting: list[_Waiting[Any]] = []
        self._sequence = itertools.count()
        self._wake: asyncio.TimerHandle | None = None
        self.completed = 0
        self._render_s = 0.1  # a moving average of how long a job takes

    @classmethod
    def for_machine(cls, processes: int | None) -> DeadlinePool:
        """``processes`` background worker processes (None: one per core) and one urgent
        one; 0: threads, one lane."""
        cores = os.cpu_count() or 1
        if processes == 0:
            return cls(threads_for(cores), processes=False)
        return cls(processes or cores, processes=True, urgent_workers=1)

    def _lane(self, workers: int, niceness: int, name: str) -> _Lane:
        """``workers`` processes at ``niceness``, or threads named ``name``."""
        executor: Executor = (
            _process_pool(workers, niceness)
            if self.processes
            else ThreadPoolExecutor(workers, thread_name_prefix=name)
        )
        return _Lane(executor, workers)

    @property
    def _lanes(self) -> list[_Lane]:
        return [self._background] + ([self._urgent] if self._urgent is not None else [])

    @property
    def _running(self) -> int:
        return sum(lane.running for lane in self._lanes)

    def warm(self) -> None:
        """Start the workers now (they import the DSP stack), not at the first listener's
        first chunk."""
        if self.processes:
            for lane in self._lanes:
                for _ in range(lane.workers):
                    lane.executor.submit(_ready)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def behind(self, now: float | None = None) -> bool:
        """Whether a job that has waited past its deadline still waits: every worker is busy
        with work somebody needs by now, so more read-ahead would only delay it."""
        now = time.monotonic() if now is None else now
        return any(not job.result.done() and job.deadline < now for job in self._waiting)

    def retry_after_s(self) -> int:
        """Whole seconds until what waits now is likely done (at least 1): a Retry-After."""
        return max(1, math.ceil(len(self._waiting) * self._render_s / self.workers))

    async def run(self, work: Callable[[], T], deadline: float) -> T:
        """``work()``'s result, run when no waiting job has an earlier ``deadline``."""
        loop = asyncio.get_running_loop()
        result: asyncio.Future[T] = loop.create_future()
        heapq.heappush(self._waiting, _Waiting(deadline, next(self._sequence), work, result))
        self._dispatch()
        return await result

    def _lane_for(self, job: _Waiting[Any], now: float) -> _Lane | None:
        """Where the earliest job runs now: an urgent one on the urgent lane if it is free,
        else anything on a free background worker; None: it waits."""
        urgent = self._urgent
        if urgent is not None and urgent.free and job.deadline <= now + URGENT_WITHIN_S:
            return urgent
        return self._background if self._background.free else None

    def _dispatch(self) -> None:
        now = time.monotonic()
        while self._waiting:
            job = self._waiting[0]
            if job.result.done():  # cancelled: nobody waits for it any more
                heapq.heappop(self._waiting)
                continue
            lane = self._lane_for(job, now)
            if lane is None:
                break
            heapq.heappop(self._waiting)
            lane.running += 1
            loop = job.result.get_loop()
            running = loop.run_in_executor(lane.executor, job.work)
            started = time.monotonic()
            running.add_done_callback(
                lambda done, job=job, lane=lane, started=started: self._finished(
                    job, lane, done, started
                )
            )
        self._wake_when_urgent()

    def _wake_when_urgent(self) -> None:
        """With the urgent lane free and read-ahead waiting, look again when the earliest
        waiting job becomes urgent (no job may start or end before then)."""
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        urgent = self._urgent
        if urgent is None or not urgent.free or not self._waiting:
            return
        loop = self._waiting[0].result.get_loop()
        when = self._waiting[0].deadline - URGENT_WITHIN_S
        self._wake = loop.call_at(max(when, loop.time()), self._dispatch)

    def _finished(
        self, job: _Waiting[Any], lane: _Lane, done: asyncio.Future[Any], started: float
    ) -> None:
        lane.running -= 1
        self.completed += 1
        self._render_s += 0.2 * (time.monotonic() - started - self._render_s)
        if not job.result.done():
            if done.cancelled():
                job.result.cancel()
            elif (error := done.exception()) is not None:
                job.result.set_exception(error)
            else:
                job.result.set_result(done.result())
        self._dispatch()

    def worker_pids(self) -> list[int]:
        """The worker processes started so far (none on threads)."""
        return [
            pid
            for lane in self._lanes
            if isinstance(lane.executor, ProcessPoolExecutor)
            for pid in (lane.executor._processes or {})
        ]

    def close(self) -> None:
        if self._wake is not None:
            self._wake.cancel()
        for job in self._waiting:
            job.result.cancel()
        self._waiting.clear()
        for lane in self._lanes:
            lane.executor.shutdown(wait=False, cancel_futures=True)


def threads_for(cores: int) -> int:
    """Render threads for ``cores``: as many as asyncio's default executor has (renders on
    threads wait on file reads and the GIL, so more than one per core keeps the cores busy)."""
    return min(32, cores + 4)


def _worker_context() -> Any:
    """forkserver: a worker never inherits the server's threads or sockets mid-use; the
    server's DSP modules are loaded once in the fork server, so each worker starts warm."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["auralis_server.streaming.renderer"])
    return context


def _process_pool(workers: int, niceness: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers,
        mp_context=_worker_context(),
        initializer=_start_worker,
        initargs=(os.getpid(), niceness),
    )


def _start_worker(server_pid: int, niceness: int) -> None:
    """A worker's set-up: end with the server; run ``niceness`` lower in CPU priority."""
    watch_process(server_pid)
    if niceness:
        os.nice(niceness)


def _ready() -> None:
    """A worker's first job: nothing (starting it loaded what renders need)."""
