"""Client latency through the real server and engine, the sound card replaced by a capture.

Prints: play request → first sample handed to the output, for a track whose fingerprint is
stored (warm) and one never analysed (cold); a seek (a new start mid-track) → first sample;
and the client's peak RSS while playing. Targets (SPEC §10): ≤ 150 ms, ≤ 1.0 s, ≤ 200 ms,
≤ 120 MB.
Usage: python bench/latency.py
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auralis_server import fingerprint_store  # noqa: E402
from auralis_server.db import Track, close_database, open_database  # noqa: E402
from auralis_server.demo import SAMPLE_RATE_HZ, SONGS, render_song  # noqa: E402
from auralis_server.fingerprint_worker import fingerprint_file  # noqa: E402
from auralis_server.scanner import Scanner  # noqa: E402
from auralis_tui.api import AuralisClient  # noqa: E402
from auralis_tui.engine.outputs import CaptureOutput  # noqa: E402
from auralis_tui.engine.player import Player  # noqa: E402

TRACK_S = 180.0


async def _first_sample_s(url: str, track_id: int, start_s: float = 0.0) -> float:
    output = CaptureOutput(realtime=True)
    async with AuralisClient(url) as client:
        player = Player(client, output)
        started = time.perf_counter()
        task = asyncio.create_task(player.play([track_id], start_s=start_s))
        while output.first_sample_at is None:
            await asyncio.sleep(0.001)
        latency = output.first_sample_at - started
        task.cancel()
    output.stop()
    return latency


def _prepare(tmp: Path) -> tuple[Path, int, int]:
    """Two 3-minute tracks; the first gets its fingerprint stored, the second stays cold."""
    import soundfile

    music = tmp / "music"
    music.mkdir()
    for index in range(2):
        soundfile.write(
            music / f"{index}.flac", render_song(SONGS[index], TRACK_S, seed=index), SAMPLE_RATE_HZ
        )
    open_database(None, tmp / "data" / "auralis.db")
    try:
        Scanner([music], workers=1).run()
        warm, cold = (t for t in Track.select().order_by(Track.path))
        values, _ = fingerprint_file(warm.path)
        fingerprint_store.save(warm.id, values, "python")
        return music, warm.id, cold.id
    finally:
        close_database()


def _serve(music: Path, data: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "auralis_server.cli",
        "serve",
        "--port",
        "0",
        "--no-scan",
        "--music",
        str(music),
        "--data-dir",
        str(data),
        "--log-level",
        "warning",
    ]
    env = {**os.environ, "AURALIS_FINGERPRINT_WORKERS": "0"}
    server = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env=env, cwd=Path(__file__).resolve().parents[1]
    )
    assert server.stderr is not None
    for line in server.stderr:
        match = re.search(r"(http://127\.0\.0\.1:\d+)\s*$", line)
        if match:
            time.sleep(0.5)  # uvicorn is up right after it prints
            return server, match.group(1)
    raise SystemExit("the server did not start")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="auralis-bench-latency-") as name:
        # The test tracks are made and analysed in another process, so this one's memory is
        # the client's alone.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as helper:
            music, warm, cold = helper.submit(_prepare, Path(name)).result()
        server, url = _serve(music, Path(name) / "data")
        try:
            warm_s = asyncio.run(_first_sample_s(url, warm))
            seek_s = asyncio.run(_first_sample_s(url, warm, start_s=97.3))
            cold_s = asyncio.run(_first_sample_s(url, cold))
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        finally:
            server.terminate()
            server.wait(20)
    print("through a real server in another process; this process is only the client")
    print(f"{'measure':<42}{'measured':>10}{'target':>10}")
    for label, value, target in (
        ("play → first sample, warm fingerprint", warm_s * 1000, 150),
        ("seek (start at 97.3 s) → first sample", seek_s * 1000, 200),
        ("play → first sample, never analysed", cold_s * 1000, 1000),
    ):
        print(f"{label:<42}{value:>8.0f}ms{target:>8}ms")
    print(f"{'client peak RSS while playing':<42}{rss_before:>8.0f}MB{120:>8}MB")


if __name__ == "__main__":
    main()
