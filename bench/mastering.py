"""Mastering speed: render time of a 10 s chunk per preset, and cold-start time to first frame.

The chunk path is the server's: decode the chunk plus its context from a FLAC file, run the
chain. Cold start goes through a real server (uvicorn on loopback) for a 3-minute track that
has never been analysed: request to the first complete frame, plan computed on the way.
Usage: python bench/mastering.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import soundfile
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auralis_server.audio.track import TrackAudio  # noqa: E402
from auralis_server.config import Settings  # noqa: E402
from auralis_server.http.app import create_app  # noqa: E402
from auralis_server.library.demo import SAMPLE_RATE_HZ, SONGS, render_song  # noqa: E402
from auralis_server.library.models import close_database, open_database  # noqa: E402
from auralis_server.library.scanner import Scanner  # noqa: E402
from auralis_server.streaming.plan_source import PlanSource  # noqa: E402
from auralis_server.streaming.renderer import (
    MasteringRenderer,  # noqa: E402
    RenderSettings,  # noqa: E402
)
from shared.geometry import ChunkGeometry  # noqa: E402
from shared.presets import PRESETS  # noqa: E402
from shared.wire import FrameReader  # noqa: E402

TRACK_S = 180.0
TARGET_REALTIME = 300.0
OLD_REALTIME = 36.6
TARGET_COLD_S = 1.0


def chunk_speed(path: Path) -> None:
    info = soundfile.info(str(path))
    geometry = ChunkGeometry.for_track(info.frames, info.samplerate)
    audio = TrackAudio(1, path, geometry, info.channels)
    open_database(None, path.parent / "speed.db")
    renderer = MasteringRenderer(PlanSource())
    middle = geometry.chunk_count // 2
    print(f"one 10 s chunk (#{middle} of {geometry.chunk_count}), decode + context + chain:")
    print(f"  {'preset':<10}{'ms':>8}{'× real time':>14}{'× target':>10}{'× old':>8}")
    try:
        for preset in PRESETS:
            settings = RenderSettings(preset, 1.0)
            renderer.render(audio, middle, settings)  # plan inputs computed and cached
            best = min(_timed(renderer, audio, middle, settings) for _ in range(15))
            realtime = geometry.chunk_seconds / best
            print(
                f"  {preset:<10}{best * 1000:>8.1f}{realtime:>14.0f}"
                f"{realtime / TARGET_REALTIME:>10.2f}{realtime / OLD_REALTIME:>8.1f}"
            )
    finally:
        close_database()


def _timed(
    renderer: MasteringRenderer, audio: TrackAudio, index: int, settings: RenderSettings
) -> float:
    start = time.perf_counter()
    renderer.render(audio, index, settings)
    return time.perf_counter() - start


def cold_first_frame(folder: Path, data: Path) -> None:
    settings = Settings(
        music_dirs=(folder,),
        data_dir=data,
        cache_dir=data / "cache",
        scan_on_start=False,
        fingerprint_workers=0,
    )
    open_database(None, settings.sqlite_path)
    Scanner([folder], workers=1).run()
    close_database()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            track = client.get("/api/tracks").json()["tracks"][0]
            start = time.perf_counter()
            reader = FrameReader()
            with client.stream("GET", f"/api/tracks/{track['id']}/stream") as response:
                for data_bytes in response.iter_bytes():
                    if reader.feed(data_bytes):
                        break
            elapsed = time.perf_counter() - start
            inputs = client.get(f"/api/tracks/{track['id']}/plan").json()["inputs"]
    finally:
        server.should_exit = True
        thread.join(10)
    print(
        f"cold start, never-analysed {TRACK_S:.0f} s track through the server: first frame in "
        f"{elapsed * 1000:.0f} ms (plan from {inputs} inputs; target ≤ {TARGET_COLD_S * 1000:.0f} ms, "
        f"{TARGET_COLD_S / elapsed:.1f}× under it)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="auralis-bench-master-") as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "music"
        folder.mkdir()
        path = folder / "track.flac"
        soundfile.write(
            path, render_song(SONGS[1], TRACK_S, seed=2), SAMPLE_RATE_HZ, subtype="PCM_16"
        )
        chunk_speed(path)
        cold_first_frame(folder, tmp / "data")


if __name__ == "__main__":
    main()
