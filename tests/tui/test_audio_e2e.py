"""Real audio end to end on the demo album: server → `auralis play` → PortAudio → null sink → parec.

The recording of the sink's monitor must be the mastered audio the server renders, every
sample of it (recorder.py defines the measures; test_audio_recorder.py proves them and
holds the other acceptance tests). This one plays music-like audio in the default
geometry, 10 s chunks, so the seam between a full chunk and a short last one is crossed.
Under AURALIS_REQUIRE_AUDIO=1 (CI) a missing audio stack fails this test instead of
skipping it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from auralis_server.config import Settings
from auralis_server.library.demo import write_demo_library
from tests.conftest import LiveServer
from tests.tui.cli_run import auralis
from tests.tui.conftest import SINK
from tests.tui.recorder import (
    Recorder,
    compare,
    library_server,
    problems,
    rendered,
    sink_spec,
    stray_frames,
)


def test_the_sink_records_what_the_server_mastered(
    pulse: dict[str, str],
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
) -> None:
    rate_hz, channels = sink_spec(pulse, SINK)
    music = tmp_path / "music"
    write_demo_library(music, seconds_per_track=10.5)
    with (
        library_server(settings_for(music), live_server) as (server, ids),
        Recorder(pulse, f"{SINK}.monitor", tmp_path / "sink.raw", rate_hz, channels) as recorder,
    ):
        expected, track_rate = rendered(server.url, ids["Night Drive"])
        assert track_rate == rate_hz  # no resampling in the sink: sample for sample
        before = recorder.wait_taking_data()
        played = auralis(
            "--server", server.url, "play", str(ids["Night Drive"]), "--device", "pulse", env=pulse
        )
        assert played.returncode == 0, played.stderr
        end = recorder.wait_silent_after(recorder.frames)
        recording = recorder.samples(before, end)
    match = compare(recording, expected, rate_hz)
    stray = stray_frames(recording, [(match.offset, match.end)])
    underruns = re.search(r"played [\d.]+ s, (\d+) underruns", played.stderr)
    assert underruns, played.stderr
    print(f"\nrecorded vs mastered: {match.summary()}, stray {stray}, {underruns[0]}")
    assert not problems(match, stray=stray, underruns=int(underruns[1])), match.summary()
