"""Real audio end to end: server → `auralis play` → PortAudio → PulseAudio null sink → parec.

The recording of the sink's monitor must be the mastered audio the server renders. Under
AURALIS_REQUIRE_AUDIO=1 (CI) a missing audio stack fails this test instead of skipping it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.signal import correlate

from auralis_server.audio.source import read_frames
from auralis_server.config import Settings
from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.http.app import create_app
from auralis_server.library.demo import write_demo_library
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from auralis_server.mastering import chain
from auralis_server.mastering.plan import make_plan
from tests.conftest import LiveServer
from tests.tui.conftest import SINK

ROOT = Path(__file__).resolve().parents[2]


def _normalised_cross_correlation(
    recorded: np.ndarray, expected: np.ndarray
) -> tuple[float, float]:
    """(NCC over the aligned overlap, fraction of ``expected`` the overlap covers)."""
    lags = correlate(recorded[:, 0], expected[:, 0], mode="full", method="fft")
    shift = int(np.argmax(lags)) - (len(expected) - 1)  # recorded[i + shift] ~ expected[i]
    start = max(0, -shift)
    stop = min(len(expected), len(recorded) - shift)
    a = recorded[start + shift : stop + shift].ravel()
    b = expected[start:stop].ravel()
    return float(a @ b / np.sqrt((a @ a) * (b @ b))), (stop - start) / len(expected)


def test_the_sink_records_what_the_server_mastered(
    pulse: dict[str, str], tmp_path: Path, live_server: Callable[..., LiveServer]
) -> None:
    music = tmp_path / "music"
    write_demo_library(music, seconds_per_track=12.0)
    settings = Settings(
        music_dirs=(music,),
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        scan_on_start=False,
        fingerprint_workers=0,
    )
    open_database(None, settings.sqlite_path)
    try:
        Scanner([music], workers=1).run()
        track = Track.get(Track.track_no == 2)
        decoded = read_frames(Path(track.path), 0, track.total_frames).astype(np.float64)
    finally:
        close_database()
    expected = chain.render(
        decoded,
        make_plan(plan_inputs(decoded, track.sample_rate), "adaptive", 1.0),
        track.sample_rate,
    )
    server = live_server(create_app(settings))

    recording = tmp_path / "sink.raw"
    recorder = subprocess.Popen(
        [
            "parec",
            "-d",
            f"{SINK}.monitor",
            "--format=float32le",
            f"--rate={track.sample_rate}",
            "--channels=2",
            "--raw",
            str(recording),
        ],
        env=pulse,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)  # the monitor stream is connected before anything plays
        played = subprocess.run(
            [
                sys.executable,
                "-m",
                "auralis_tui.cli",
                "--server",
                server.url,
                "play",
                str(track.id),
                "--device",
                "pulse",
            ],
            env=pulse,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        time.sleep(0.5)
    finally:
        recorder.terminate()
        recorder.wait(10)
    assert played.returncode == 0, played.stderr
    assert ", 0 underruns" in played.stderr, played.stderr
    recorded = np.fromfile(recording, dtype="<f4").reshape(-1, 2).astype(np.float64)
    ncc, coverage = _normalised_cross_correlation(recorded, expected)
    print(f"recorded vs mastered: ncc {ncc:.5f}, coverage {coverage:.3f}")  # shown with -s
    assert coverage >= 0.95, coverage
    assert ncc >= 0.99, ncc
