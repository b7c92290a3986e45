"""The deadline pool: earliest deadline first, jobs nobody waits for dropped, and a render in a
worker process equal to the same render in this one."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.mastering.plan import make_plan
from auralis_server.streaming.render_pool import DeadlinePool
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
    plan = make_plan(plan_inputs(samples.astype(np.float64), rate_hz), "punchy", 0.8)
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
        "    print(*pool._executor._processes, flush=True)\n"
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
