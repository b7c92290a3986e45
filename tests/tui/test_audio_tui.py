"""The terminal player plays every sample: `auralis` in tmux, Enter on a track, the sink recorded.

The same recorder check as test_audio_recorder.py, through the full-screen player a person
uses: tmux runs `auralis` against a live server, keys browse to the track and play it, and
parec of the null sink's monitor (taking data before the key is sent) must hold the
server's render from its first frame (≤ 1 ms lost), coverage 1.000, ncc ≥ 0.999, no sound
outside it, in 10 of 10 runs: each run a fresh `auralis` (the first Enter of a process opens
the device for the first time), the first of them on a freshly started sound server.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from auralis_server.config import Settings
from tests.conftest import LiveServer
from tests.tui import test_tmux
from tests.tui.cli_run import AURALIS, ROOT
from tests.tui.conftest import SINK
from tests.tui.recorder import (
    Recorder,
    compare,
    judge,
    library_server,
    poll,
    problems,
    rendered,
    sink_spec,
    stray_frames,
    write_track,
)
from tests.tui.test_tmux import SESSION, send, session_alive, wait_for

tmux_env = test_tmux.tmux  # the fixture, under the name this test uses
RUNS = 10
TITLE = "Recorded Noise"


def tui_command(pulse: dict[str, str], server_url: str) -> str:
    """`auralis` with the sound server's environment spelled out: a tmux server keeps the
    environment it was started with, which need not be this test's."""
    settings = [f"{name}={pulse[name]}" for name in ("XDG_RUNTIME_DIR", "PULSE_SINK", "HOME")]
    return shlex.join(["env", *settings, *AURALIS, "--server", server_url, "--device", "pulse"])


def test_enter_on_a_track_in_the_tui_records_every_sample_ten_times(
    pulse: dict[str, str],
    tmux_env: dict[str, str],
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
) -> None:
    """Enter on artist, album, then the track (at once, as soon as the library shows): the
    recording is the render, whole."""
    rate_hz, channels = sink_spec(pulse, SINK)
    music = tmp_path / "music"
    write_track(music / "noise.flac", 3.0, rate_hz, seed=41, title=TITLE)
    settings = settings_for(music, chunk_seconds=1.0)
    with (
        library_server(settings, live_server) as (server, ids),
        Recorder(pulse, f"{SINK}.monitor", tmp_path / "sink.raw", rate_hz, channels) as recorder,
    ):
        expected, rendered_rate = rendered(server.url, ids[TITLE])
        assert rendered_rate == rate_hz
        rows: list[str] = []
        failures: list[str] = []
        for number in range(1, RUNS + 1):
            subprocess.run(
                ["tmux", "new-session", "-d", "-s", SESSION, "-x", "140", "-y", "40",
                 tui_command(pulse, server.url)],
                env=tmux_env,
                check=True,
                cwd=ROOT,
            )  # fmt: skip
            wait_for(tmux_env, TITLE)  # the tracks pane is filled
            before = recorder.wait_taking_data()
            send(tmux_env, "Enter", "Enter", "Enter")  # artists → albums → tracks → play
            started = recorder.wait_sound(before)
            end = recorder.wait_silent_after(started + len(expected))
            send(tmux_env, "q")
            poll(lambda: not session_alive(tmux_env), 15, "the TUI to quit")
            recording = recorder.samples(before, end)
            match = compare(recording, expected, rate_hz)
            stray = stray_frames(recording, [(match.offset, match.end)])
            row = f"tui run {number}: {match.summary()}, stray {stray}"
            rows.append(row)
            if found := problems(match, stray=stray):
                failures.append(f"{row}: {found} ({recorder.path} frames {before}-{end})")
        judge(rows, failures)
