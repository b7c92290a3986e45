"""The deadline pool: earliest deadline first, jobs nobody waits for dropped, and a render in a
worker process equal to the same render in this one."""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from auralis_server.audio.track import TrackAudio
from auralis_server.streaming.plan_source import inputs_from_samples
from auralis_server.streaming.render_pool import (
    BACKGROUND_NICENESS,
    URGENT_WITHIN_S,
    DeadlinePool,
)
from auralis_server.streaming.renderer import ChunkRender
from shared.geometry import ChunkGeometry
from tests.conftest import write_audio

ROOT = Path(__file__).resolve().parents[3]


def test_a_free_worker_takes_the_earliest_deadline_not_the_first_come() -> None:
    """One worker, held busy; jobs queued with deadlines 3, 1, 2 run as 1, 2, 3."""
    order: list[str] = []
    release = threading.Event()

    async def main() -> None:
        pool = DeadlinePool(1, processes=False)
        try:
            busy = asyncio.create_task(pool.run(lambda: release.wait(10), deadline=0.0))
            while pool.waiting or not pool._running:  # the worker has the blocking job
                await asyncio.sleep(0)
            jobs = [
                asyncio.create_task(pool.run(lambda name=name: order.append(name), deadline))
                for name, deadline in (("late", 3.0), ("urgent", 1.0), ("soon", 2.0))
            ]
            await asyncio.sleep(0)  # all three queued behind the busy worker
            assert pool.waiting == 3
            release.set()
            await asyncio.gather(busy, *jobs)
        finally:
            pool.close()

    asyncio.run(main())
    assert order == ["urgent", "soon", "late"]


def test_a_job_whose_waiter_went_away_is_not_run_and_errors_reach_the_waiter() -> None:
    ran: list[str] = []
    release = threading.Event()

    def broken() -> None:
        raise ValueError("unreadable")

    async def main() -> None:
        pool = DeadlinePool(1, processes=False)
        try:
            busy = asyncio.create_task(pool.run(lambda: release.wait(10), deadline=0.0))
            while not pool._running:
                await asyncio.sleep(0)
            abandoned = asyncio.create_task(pool.run(lambda: ran.append("abandoned"), 1.0))
            failing = asyncio.create_task(pool.run(broken, 2.0))
            kept = asyncio.create_task(pool.run(lambda: ran.append("kept"), 3.0))
            await asyncio.sleep(0)
            abandoned.cancel()
            release.set()
            await busy
            with pytest.raises(ValueError, match="unreadable"):
                await failing
            await kept
            assert abandoned.cancelled()
        finally:
            pool.close()

    asyncio.run(main())
    assert ran == ["kept"]


def test_a_chunk_rendered_in_a_worker_process_equals_the_render_here(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    samples = write_audio(path, 6.0, 44100, seed=5)
    rate_hz = 44100
    geometry = ChunkGeometry.for_track(len(samples), rate_hz, chunk_seconds=2.0)
    audio = TrackAudio(1, path, geometry, samples.shape[1], (0, 0))
    plan = inputs_from_samples(samples.astype(np.float64), rate_hz).plan("punchy", 0.8)
    start, stop = geometry.span(1)
    job = ChunkRender(audio.path, start, stop, 0, len(samples), plan, rate_hz)

    async def main() -> np.ndarray:
        pool = DeadlinePool(1, processes=True)
        try:
            return await pool.run(job, deadline=0.0)
        finally:
            pool.close()

    here = job()
    there = asyncio.run(main())
    assert there.dtype == np.float32 and there.shape == here.shape == (stop - start, 2)
    assert np.array_equal(there, here)
    assert float(np.abs(here - samples[start:stop]).max()) > 1e-3  # it was mastered


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_the_worker_processes_end_when_the_server_is_killed() -> None:
    """Found after a bench run: workers of a server killed mid-render lived on (they are the
    fork server's children, and hold both ends of their own queues)."""
    script = (
        "import asyncio, os, time\n"
        "from auralis_server.streaming.render_pool import DeadlinePool\n"
        "async def main():\n"
        "    pool = DeadlinePool(2, processes=True)\n"
        "    await asyncio.gather(*(pool.run(os.getpid, 0.0) for _ in range(4)))\n"
        "    print(*pool.worker_pids(), flush=True)\n"
        "    time.sleep(600)\n"
        "asyncio.run(main())\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert server.stdout is not None
    workers = [int(pid) for pid in server.stdout.readline().split()]
    assert workers and all(_alive(pid) for pid in workers)
    server.kill()  # SIGKILL: no shutdown of the pool
    server.wait(10)
    server.stdout.close()
    give_up = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)]


def test_a_start_never_waits_for_read_ahead_and_read_ahead_never_takes_the_urgent_lane() -> None:
    """The background worker is busy with read-ahead; a job due now runs at once on the urgent
    lane, and a job due in a minute waits for the background worker though the urgent one is
    free (it would hold it when the next listener starts)."""
    started: list[str] = []
    release = threading.Event()

    async def main() -> None:
        pool = DeadlinePool(1, processes=False, urgent_workers=1)
        now = time.monotonic()
        try:
            busy = asyncio.create_task(pool.run(lambda: release.wait(10), deadline=now + 30))
            later = asyncio.create_task(pool.run(lambda: started.append("later"), now + 60))
            while pool.waiting != 1 or not pool._running:  # busy holds the worker, later waits
                await asyncio.sleep(0)
            await pool.run(lambda: started.append("start"), deadline=now)
            assert started == ["start"] and pool.waiting == 1  # "later" still waits
            release.set()
            await asyncio.gather(busy, later)
        finally:
            pool.close()

    asyncio.run(main())
    assert started == ["start", "later"]


def test_read_ahead_that_becomes_due_takes_the_free_urgent_lane_unprompted() -> None:
    """No job starts or ends while it waits: the pool looks again when it becomes urgent."""
    release, busy_ended = threading.Event(), threading.Event()

    def hold() -> None:
        release.wait(10)
        busy_ended.set()

    async def main() -> tuple[float, bool]:
        pool = DeadlinePool(1, processes=False, urgent_workers=1)
        try:
            busy = asyncio.create_task(pool.run(hold, time.monotonic() + 60))
            while not pool._running:  # the background worker has the blocking job
                await asyncio.sleep(0)
            due = time.monotonic() + URGENT_WITHIN_S + 0.2
            ran_at, busy_had_ended = await pool.run(
                lambda: (time.monotonic(), busy_ended.is_set()), due
            )
            release.set()
            await busy
            return ran_at - (due - URGENT_WITHIN_S), busy_had_ended
        finally:
            pool.close()

    after_becoming_urgent_s, busy_had_ended = asyncio.run(main())
    assert not busy_had_ended  # it ran on the urgent lane, beside the busy worker
    assert after_becoming_urgent_s >= 0.0  # and not before it was due within the window


def test_read_ahead_workers_run_at_a_lower_cpu_priority_than_the_urgent_one() -> None:
    async def main() -> tuple[int, int]:
        pool = DeadlinePool(1, processes=True, urgent_workers=1)
        try:
            now = time.monotonic()
            background = await pool.run(functools.partial(os.nice, 0), now + 60)
            urgent = await pool.run(functools.partial(os.nice, 0), now)
            return background, urgent
        finally:
            pool.close()

    server = os.nice(0)
    background, urgent = asyncio.run(main())
    assert urgent == server
    assert background == min(19, server + BACKGROUND_NICENESS)
