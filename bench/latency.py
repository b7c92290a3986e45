"""Client latency through the real server and engine, the sound card replaced by a capture.

Prints, for 3-minute tracks served by `auralis-server` in another process:
- key press (Enter in the TUI, on a track the cursor rested on) → first sample handed to
  the output, warm fingerprint; the TUI runs in a child process of its own, whose peak RSS
  while playing is the client's memory;
- the same through the engine alone when nothing was prepared (Enter at once);
- a seek (start mid-track) → first sample; a track never analysed → first sample.
Targets (SPEC §10): ≤ 150 ms, ≤ 200 ms (seek), ≤ 1.0 s (never analysed), ≤ 120 MB.
Usage: python bench/latency.py
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import serve, stop  # noqa: E402

TRACK_S = 180.0


async def _first_sample_s(url: str, track_id: int, start_s: float = 0.0) -> float:
    from auralis_tui.api import AuralisClient
    from auralis_tui.engine.outputs import CaptureOutput
    from auralis_tui.engine.player import Player

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


def _prepare(tmp: Path) -> tuple[Path, list[int]]:
    """Four 3-minute tracks; the first three get their fingerprints stored, the last stays cold.

    Runs in a helper process, so the server's modules never load into the client's.
    """
    import soundfile

    from auralis_server.fingerprint import store as fingerprint_store
    from auralis_server.fingerprint.worker import fingerprint_file
    from auralis_server.library.demo import SAMPLE_RATE_HZ, SONGS, render_song
    from auralis_server.library.models import Track, close_database, open_database
    from auralis_server.library.scanner import Scanner

    music = tmp / "music"
    music.mkdir()
    for index in range(4):
        soundfile.write(
            music / f"{index}.flac", render_song(SONGS[index], TRACK_S, seed=index), SAMPLE_RATE_HZ
        )
    open_database(None, tmp / "data" / "auralis.db")
    try:
        Scanner([music], workers=1).run()
        tracks = list(Track.select().order_by(Track.path))
        for warm in tracks[:3]:
            values, _ = fingerprint_file(warm.path)
            fingerprint_store.save(warm.id, values, "python")
        return music, [t.id for t in tracks]
    finally:
        close_database()


def _serve(music: Path, data: Path) -> tuple[subprocess.Popen[str], str]:
    return serve(music, data, "--no-scan", env={"AURALIS_FINGERPRINT_WORKERS": "0"})


async def _tui_key_to_sound(url: str, track_id: int) -> dict[str, float]:
    """In the TUI: rest the cursor on the track, press Enter, time the first sample out."""
    import resource

    from auralis_tui.api import AuralisClient
    from auralis_tui.app.app import AuralisApp
    from auralis_tui.app.widgets.track_table import TrackTable
    from auralis_tui.engine.outputs import CaptureOutput
    from auralis_tui.engine.session import Session

    outputs: list[CaptureOutput] = []

    def output() -> CaptureOutput:
        outputs.append(CaptureOutput(realtime=True))
        return outputs[-1]

    async with AuralisClient(url) as client:
        app = AuralisApp(client, Session(client, output))
        async with app.run_test(size=(120, 36)) as pilot:
            tracks = app.query_one("#tracks", TrackTable)
            while track_id not in tracks.track_ids:
                await asyncio.sleep(0.01)
            await pilot.press("tab", "tab")
            tracks.move_cursor(row=tracks.track_ids.index(track_id))
            await asyncio.sleep(1.0)  # the cursor rests on it, as a person's would
            pressed = time.perf_counter()
            await pilot.press("enter")
            while not outputs or outputs[0].first_sample_at is None:
                await asyncio.sleep(0.001)
            latency_s = outputs[0].first_sample_at - pressed
            await asyncio.sleep(5.0)  # playing: buffers full, the bar repainting
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            await pilot.press("q")
    return {"key_to_sound_s": latency_s, "peak_rss_mb": peak_mb}


def _run_tui_child(url: str, track_id: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--tui-child", url, str(track_id)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    if result.returncode:
        raise SystemExit(f"the TUI child failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="auralis-bench-latency-") as name:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as helper:
            music, (first, second, third, cold) = helper.submit(_prepare, Path(name)).result()
        server, url = _serve(music, Path(name) / "data")
        try:
            asyncio.run(_first_sample_s(url, third, start_s=30.0))  # the server process warms up
            tui = _run_tui_child(url, first)
            at_once_s = asyncio.run(_first_sample_s(url, second))
            seek_s = asyncio.run(_first_sample_s(url, second, start_s=97.3))
            cold_s = asyncio.run(_first_sample_s(url, cold))
        finally:
            stop(server)
    print("through a real server in another process; the TUI in a process of its own")
    print(f"{'measure':<58}{'measured':>10}{'target':>10}")
    for label, value, target in (
        ("TUI: Enter → first sample (cursor rested on the track)", tui["key_to_sound_s"], 150),
        ("engine: play → first sample, nothing prepared", at_once_s, 150),
        ("engine: seek (start at 97.3 s) → first sample", seek_s, 200),
        ("engine: play → first sample, never analysed", cold_s, 1000),
    ):
        print(f"{label:<58}{value * 1000:>8.0f}ms{target:>8}ms")
    print(f"{'TUI client peak RSS while playing':<58}{tui['peak_rss_mb']:>8.0f}MB{120:>8}MB")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--tui-child"]:
        print(json.dumps(asyncio.run(_tui_key_to_sound(sys.argv[2], int(sys.argv[3])))))
    else:
        main()
