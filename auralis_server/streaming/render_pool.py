"""Chunk renders run earliest deadline first, on worker processes so every core works.

A listener about to start needs its first chunk now; a listener three chunks ahead needs
its next one in ~30 s. Served first come, first served, a start waits behind everybody's
prefetch (issue 16 measured 2.8 s at the median with 100 listeners). Here each render
carries the moment its listener will need it, and a free worker always takes the earliest.

Renders are CPU-bound numpy/scipy work; in worker processes they do not share one
interpreter. The pool holds at most one job per worker, so the order of what waits is this
module's, not the executor's FIFO. A job whose every waiter went away before it started is
dropped. ``executor=None`` runs jobs on threads of this process (the tests' servers, and
`--render-processes 0`).
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


@dataclass(order=True)
class _Waiting(Generic[T]):
    deadline: float  # loop time (time.monotonic) by which the result is needed
    sequence: int  # first come first served among equal deadlines
    work: Callable[[], T] = field(compare=False)
    result: asyncio.Future[T] = field(compare=False)


class DeadlinePool:
    """Runs zero-argument callables, earliest deadline first, ``workers`` at a time."""

    def __init__(self, workers: int, *, processes: bool) -> None:
        self.workers = max(1, workers)
        self.processes = processes
        self._executor: Executor = (
            ProcessPoolExecutor(
                self.workers,
                mp_context=_worker_context(),
                initializer=watch_process,
                initargs=(os.getpid(),),
            )
            if processes
            else ThreadPoolExecutor(self.workers, thread_name_prefix="render")
        )
        self._waiting: list[_Waiting[Any]] = []
        self._sequence = itertools.count()
        self._running = 0
        self.completed = 0
        self._render_s = 0.1  # a moving average of how long a job takes

    @classmethod
    def for_machine(cls, processes: int | None) -> DeadlinePool:
        """``processes`` worker processes (None: one per core; 0: threads, one per core)."""
        cores = os.cpu_count() or 1
        if processes == 0:
            return cls(threads_for(cores), processes=False)
        return cls(processes or cores, processes=True)

    def warm(self) -> None:
        """Start the workers now (they import the DSP stack), not at the first listener's
        first chunk."""
        if self.processes:
            for _ in range(self.workers):
                self._executor.submit(_ready)

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

    def _dispatch(self) -> None:
        while self._running < self.workers and self._waiting:
            job = heapq.heappop(self._waiting)
            if job.result.done():  # cancelled: nobody waits for it any more
                continue
            self._running += 1
            loop = job.result.get_loop()
            running = loop.run_in_executor(self._executor, job.work)
            started = time.monotonic()
            running.add_done_callback(
                lambda done, job=job, started=started: self._finished(job, done, started)
            )

    def _finished(self, job: _Waiting[Any], done: asyncio.Future[Any], started: float) -> None:
        self._running -= 1
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

    def close(self) -> None:
        for job in self._waiting:
            job.result.cancel()
        self._waiting.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)


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


def _ready() -> None:
    """A worker's first job: nothing (starting it loaded what renders need)."""
