"""`auralis play` plays every sample: recorded from the null sink, aligned with the server's render.

Real audio end to end: server → `auralis play` → PortAudio → ALSA's pulse plugin → the
PulseAudio null sink → `parec` of its monitor. parec runs and is taking data before each
play starts; each recording must hold the render (what the server masters, fetched over
HTTP) from its first frame (≤ 1 ms lost), every 10 ms block in place (coverage 1.000: no
sample lost, repeated or delayed), ncc ≥ 0.999, no sound outside it, and the CLI must
report 0 underruns. `recorder.py` defines the measures; the first tests here prove they
fail on damaged recordings. Under AURALIS_REQUIRE_AUDIO=1 (CI) a missing audio stack
fails these tests instead of skipping them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soxr

from auralis_server.config import Settings
from tests.conftest import LiveServer
from tests.tui.cli_run import AURALIS, ROOT
from tests.tui.conftest import SINK
from tests.tui.recorder import (
    EXACT,
    MAX_LOST_START_MS,
    RESAMPLED,
    Audio,
    Recorder,
    Tolerance,
    aperiodic,
    compare,
    judge,
    library_server,
    problems,
    rendered,
    sink_spec,
    stray_frames,
    verdict,
    write_track,
)

RUNS = 10

# -- the harness fails what it must (no audio needed) ---------------------------------------

RATE = 44100
BLOCK = RATE // 100


def _sink_path(audio: Audio) -> Audio:
    """What the s16 null sink does to float audio: 16-bit quantisation."""
    return np.round(audio * 32767) / 32768


def _damaged(expected: Audio, damage: str) -> Audio:
    """A recording of ``expected`` (between 0.3 s of silence each side) with one fault."""
    audio = expected.copy()
    mid = len(audio) // 2
    match damage:
        case "a dropped 10 ms block":
            audio = np.concatenate([audio[:mid], audio[mid + BLOCK :]])
        case "a repeated 10 ms block":
            audio = np.concatenate([audio[: mid + BLOCK], audio[mid:]])
        case "10 ms of silence inserted":
            audio = np.concatenate([audio[:mid], np.zeros((BLOCK, 2)), audio[mid:]])
        case "one frame dropped":
            audio = np.concatenate([audio[:mid], audio[mid + 1 :]])
        case "the first 5 ms missing":
            audio = audio[RATE // 200 :]
        case "the first 5 ms silent":
            audio[: RATE // 200] = 0.0
        case "the first 2 ms missing":
            audio = audio[RATE // 500 :]
        case "the first 0.5 ms missing":
            audio = audio[RATE // 2000 :]
        case "the last 10 ms missing":
            audio = audio[:-BLOCK]
        case "the last block repeated after the end":
            audio = np.concatenate([audio, audio[-1024:]])
    pad = np.zeros((round(0.3 * RATE), 2))
    return _sink_path(np.concatenate([pad, audio, pad]))


def test_the_harness_finds_an_intact_recording_whole() -> None:
    expected = aperiodic(2.0, RATE, seed=1)
    recording = _damaged(expected, "intact")
    match = compare(recording, expected, RATE)
    assert match.offset == round(0.3 * RATE)
    assert match.coverage == 1.0 and match.lost_start_frames == 0 and match.ncc > 0.99999
    assert stray_frames(recording, [(match.offset, match.end)]) == 0


def test_the_harness_lets_go_half_a_millisecond_at_the_start_and_no_more() -> None:
    """What the monitor may miss of a new stream (see Recorder) passes, and is measured."""
    expected = aperiodic(2.0, RATE, seed=1)
    match = compare(_damaged(expected, "the first 0.5 ms missing"), expected, RATE)
    assert match.coverage == 1.0 and 0.4 < match.lost_start_ms <= MAX_LOST_START_MS


def _faded_in(seconds: float) -> Audio:
    """``aperiodic`` under a 100 ms linear fade-in: its first frames stay far under the sample
    tolerance (a mastered track that starts from silence, like the demo album's)."""
    audio = aperiodic(seconds, RATE, seed=2)
    ramp = np.minimum(1.0, np.arange(len(audio)) / (0.100 * RATE))[:, None]
    return audio * ramp


@pytest.mark.parametrize("lost_ms", [0.5, 0.9])
def test_a_quiet_head_lost_within_the_allowance_is_measured_and_passes(lost_ms: float) -> None:
    """The monitor's miss of a new stream (see Recorder) on a track that fades in: the lost
    frames are under the sample tolerance; what of them the first block's tolerance can see
    is measured as the first-frame loss (never more than was lost)."""
    expected = _faded_in(1.0)
    lost_frames = round(lost_ms / 1000 * RATE)
    audio = expected.copy()
    audio[:lost_frames] = 0.0
    pad = np.zeros((round(0.3 * RATE), 2))
    match = compare(_sink_path(np.concatenate([pad, audio, pad])), expected, RATE)
    assert match.coverage == 1.0, match.summary()
    assert 0 < match.lost_start_frames <= lost_frames, match.summary()
    assert not problems(match), match.summary()


def test_a_quiet_head_lost_beyond_the_allowance_fails() -> None:
    expected = _faded_in(1.0)
    audio = expected.copy()
    audio[: round(0.003 * RATE)] = 0.0
    pad = np.zeros((round(0.3 * RATE), 2))
    match = compare(_sink_path(np.concatenate([pad, audio, pad])), expected, RATE)
    assert problems(match), match.summary()


@pytest.mark.parametrize(
    "damage",
    [
        "a dropped 10 ms block",
        "a repeated 10 ms block",
        "10 ms of silence inserted",
        "one frame dropped",
        "the first 5 ms missing",
        "the first 5 ms silent",
        "the first 2 ms missing",
        "the last 10 ms missing",
        "the last block repeated after the end",
    ],
)
@pytest.mark.parametrize("tolerance", [EXACT, RESAMPLED], ids=["exact", "resampled"])
def test_the_harness_fails_a_damaged_recording(damage: str, tolerance: Tolerance) -> None:
    """Every fault the acceptance checks exist for fails at least one of them, also under the
    looser tolerance of the resampled queue."""
    expected = aperiodic(2.0, RATE, seed=1)
    recording = _damaged(expected, damage)
    match = compare(recording, expected, RATE, tolerance, subsample=tolerance is RESAMPLED)
    stray = stray_frames(recording, [(match.offset, match.end)])
    assert problems(match, stray=stray), f"{damage}: {match.summary()}, stray {stray}"
    if damage.startswith("the first"):
        assert match.lost_start_ms > 1.9, match.summary()


def test_a_cut_tail_is_told_apart_from_other_damage() -> None:
    """The xfail of the known tail bug (raises=KnownBug) must not hide anything else."""
    expected = aperiodic(2.0, RATE, seed=1)
    for damage, only_tail in [("the last 10 ms missing", True), ("a dropped 10 ms block", False)]:
        recording = _damaged(expected, damage)
        match = compare(recording, expected, RATE)
        assert verdict(recording, expected, match)[1] is only_tail, damage


# -- the real stack -------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One `auralis play` and its recording, from just before it started."""

    recording: Audio
    stderr: str
    where: str  # the recording's file and frames, to look at a failure

    @property
    def underruns(self) -> int:
        found = re.search(r"played [\d.]+ s, (\d+) underruns", self.stderr)
        assert found, self.stderr
        return int(found.group(1))


@dataclass(frozen=True)
class Stage:
    """A served library and a recorder running on the null sink's monitor."""

    server: LiveServer
    ids: dict[str, int]
    env: dict[str, str]
    recorder: Recorder

    def play(self, *args: str, stall_s: float = 0.0) -> Run:
        """`auralis play ARGS` while recording; parec is proven live first, and the recording
        ends once the sink has been silent for a while after the player exited. ``stall_s``:
        the player is stopped (SIGSTOP) that long, 1 s into the sound."""
        before = self.recorder.wait_taking_data()
        player = subprocess.Popen(
            [*AURALIS, "--server", self.server.url, "play", *args, "--device", "pulse"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            if stall_s:
                sound = self.recorder.wait_sound(before)
                self.recorder.wait_frames(sound + self.recorder.rate_hz)
                os.kill(player.pid, signal.SIGSTOP)
                time.sleep(stall_s)  # the stall itself is what is being tested
                os.kill(player.pid, signal.SIGCONT)
            _, stderr = player.communicate(timeout=120)
        finally:
            if player.poll() is None:
                player.kill()
                player.wait()
        assert player.returncode == 0, stderr
        end = self.recorder.wait_silent_after(self.recorder.frames)
        where = f"{self.recorder.path} frames {before}-{end}"
        return Run(self.recorder.samples(before, end), stderr, where)

    def render(self, title: str, **params: Any) -> tuple[Audio, int]:
        return rendered(self.server.url, self.ids[title], **params)


Tracks = dict[str, dict[str, object]]  # title → write_track's options


@pytest.fixture
def stage(
    pulse: dict[str, str],
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
) -> Iterator[Callable[[Tracks], Stage]]:
    """``stage(tracks)``: the tracks (at the sink's rate unless they say otherwise) served
    with 1 s chunks, so a 3 s track crosses chunk seams, and parec on the sink's monitor at
    the sink's format, taking data."""
    with ExitStack() as stack:

        def make(tracks: Tracks) -> Stage:
            rate_hz, channels = sink_spec(pulse, SINK)
            music = tmp_path / "music"
            for number, (title, options) in enumerate(tracks.items(), start=1):
                path = music / f"{number}.flac"
                write_track(path, track_no=number, title=title, **{"rate_hz": rate_hz, **options})
            settings = settings_for(music, chunk_seconds=1.0)
            server, ids = stack.enter_context(library_server(settings, live_server))
            raw = tmp_path / "sink.raw"
            recorder = stack.enter_context(
                Recorder(pulse, f"{SINK}.monitor", raw, rate_hz, channels)
            )
            return Stage(server, ids, pulse, recorder)

        yield make


SEEKS = {"mid-chunk": 1.37, "on-a-chunk-seam": 1.0, "in-the-first-chunk": 0.25}
NOISE: Tracks = {"noise": {"seconds": 3.0, "seed": 11, "loud_at": tuple(SEEKS.values())}}


def _loud_head(audio: Audio) -> bool:
    """The first frames are far above the sample tolerance, so losing them shows. (10×: the
    adaptive EQ brings this flat, low-passed noise towards mastered music's tilt, a 10 dB
    cut of its top, so its −6 dBFS first frame comes out near −15 dBFS: 18× the tolerance.)"""
    return bool(np.abs(audio[:8]).max() > 10 * EXACT.sample)


def _at_sink_rate(stage: Stage, title: str, **params: Any) -> Audio:
    """The render of a track at the sink's rate (so PulseAudio does not resample it)."""
    audio, rate_hz = stage.render(title, **params)
    assert rate_hz == stage.recorder.rate_hz, "the sink's rate is not the track's"
    assert _loud_head(audio)
    return audio


def _check_exactly(name: str, run: Run, expected: Audio, rate_hz: int, failures: list[str]) -> str:
    """Compare a run with what it must have played; its row of numbers."""
    match = compare(run.recording, expected, rate_hz)
    stray = stray_frames(run.recording, [(match.offset, match.end)])
    row = f"{name}: {match.summary()}, stray {stray}, {run.underruns} underruns"
    if found := problems(match, stray=stray, underruns=run.underruns):
        failures.append(f"{row}: {found} ({run.where})")
    return row


def test_play_records_every_sample_ten_times_from_a_fresh_sound_server(
    stage: Callable[[Tracks], Stage],
) -> None:
    """The first run is the fresh daemon's first stream: a slow first open must not eat the
    head of the track, and no later run may lose, repeat or delay a sample either."""
    played = stage(NOISE)
    expected = _at_sink_rate(played, "noise")
    rate_hz = played.recorder.rate_hz
    rows: list[str] = []
    failures: list[str] = []
    for number in range(1, RUNS + 1):
        run = played.play(str(played.ids["noise"]))
        rows.append(_check_exactly(f"play run {number}", run, expected, rate_hz, failures))
    judge(rows, failures)


@pytest.mark.parametrize("start_s", SEEKS.values(), ids=SEEKS.keys())
def test_play_from_a_start_offset_records_the_render_from_that_frame(
    stage: Callable[[Tracks], Stage], start_s: float
) -> None:
    """`--start S` plays the render from frame round(S × rate) on: that frame first (the
    seek lands mid-chunk, on a seam, or in the first chunk), then all that follows."""
    played = stage(NOISE)
    rate_hz = played.recorder.rate_hz
    expected = _at_sink_rate(played, "noise")[round(start_s * rate_hz) :]
    assert _loud_head(expected)
    run = played.play(str(played.ids["noise"]), "--start", str(start_s))
    failures: list[str] = []
    judge([_check_exactly(f"play --start {start_s}", run, expected, rate_hz, failures)], failures)


def test_a_queue_of_two_tracks_records_gaplessly(stage: Callable[[Tracks], Stage]) -> None:
    """`play ID1 ID2` (same format): the recording is render 1 then render 2, the second's
    first frame right after the first's last: no gap, no overlap, nothing missing."""
    played = stage({"first": {"seconds": 2.5, "seed": 21}, "second": {"seconds": 2.5, "seed": 22}})
    rate_hz = played.recorder.rate_hz
    # One album in track order: the player asks for album loudness (issue "mastering").
    first, second = (
        _at_sink_rate(played, title, loudness="album") for title in ("first", "second")
    )
    both = np.concatenate([first, second])
    rows: list[str] = []
    failures: list[str] = []
    for number in range(1, 4):
        run = played.play(str(played.ids["first"]), str(played.ids["second"]))
        row = _check_exactly(f"gapless run {number}", run, both, rate_hz, failures)
        one = compare(run.recording, first, rate_hz)
        two = compare(run.recording, second, rate_hz)
        seam = two.offset - one.end  # frames between the end of one and the start of two
        row += f"; track 1 {one.coverage:.3f}, track 2 {two.coverage:.3f}, seam {seam:+.0f}"
        if seam != 0 or one.coverage != 1.0 or two.coverage != 1.0:
            failures.append(f"{row}: not gapless ({run.where})")
        rows.append(row)
    judge(rows, failures)


MIXED: Tracks = {
    "mixed 44k stereo": {"seconds": 2.0, "rate_hz": 44100, "seed": 31},
    "mixed 48k stereo": {"seconds": 2.0, "rate_hz": 48000, "seed": 32},
    "mixed 96k 24-bit": {"seconds": 2.0, "rate_hz": 96000, "subtype": "PCM_24", "seed": 33},
    "mixed 22k mono": {"seconds": 2.0, "rate_hz": 22050, "channels": 1, "seed": 34},
}
NCC_RESAMPLED = 0.99  # PulseAudio's resampler against soxr's (RESAMPLED says why)


def test_a_queue_of_mixed_formats_plays_every_track_whole_and_in_order(
    stage: Callable[[Tracks], Stage],
) -> None:
    """44.1 kHz stereo, 48 kHz stereo, 96 kHz 24-bit and 22.05 kHz mono in one `play`: each
    format change reopens the device (a pause between tracks is allowed there), and every
    track must be recorded whole, from its first frame, after the one before it. The sink
    resamples all but the first, so each render is resampled to the sink's rate to compare."""
    played = stage(MIXED)
    sink_rate = played.recorder.rate_hz
    run = played.play(*(str(played.ids[title]) for title in MIXED))
    rows: list[str] = []
    failures: list[str] = []
    tail_cuts: list[str] = []  # the known bug, and nothing else wrong with the track
    spans: list[tuple[float, float]] = []
    cursor = 0  # each track is looked for after the end of the one before: in order
    for title, options in MIXED.items():
        audio, rate_hz = played.render(title, loudness="album")  # one album, in order
        assert rate_hz == options["rate_hz"]
        expected = soxr.resample(audio, rate_hz, sink_rate, quality="VHQ")
        later = run.recording[cursor:]
        match = compare(later, expected, sink_rate, RESAMPLED, subsample=True)
        row = f"{title} at {(cursor + match.offset) / sink_rate:.3f} s: {match.summary()}"
        rows.append(row)
        found, only_tail = verdict(later, expected, match, RESAMPLED, NCC_RESAMPLED)
        if found:
            (tail_cuts if only_tail else failures).append(f"{row}: {found} ({run.where})")
        spans.append((cursor + match.offset, cursor + match.end))
        cursor += int(np.ceil(match.end))
    stray = stray_frames(run.recording, spans, guard=round(0.002 * sink_rate))
    rows.append(f"mixed queue: stray {stray}, {run.underruns} underruns")
    if stray or run.underruns:
        failures.append(
            f"mixed queue: {stray} frames of sound outside the tracks, {run.underruns} underruns"
        )
    judge(rows, failures, tail_cuts)


def test_a_stalled_player_reports_the_gap_it_leaves(stage: Callable[[Tracks], Stage]) -> None:
    """The "0 underruns" the other tests read is only worth something if a real gap counts:
    stopping the player for 0.2 s (as a loaded machine may) must show in both."""
    played = stage(NOISE)
    rate_hz = played.recorder.rate_hz
    expected = _at_sink_rate(played, "noise")
    run = played.play(str(played.ids["noise"]), stall_s=0.2)
    match = compare(run.recording, expected, rate_hz)
    loud = np.flatnonzero(np.abs(run.recording).max(axis=1) >= 1e-3)
    gap_ms = 1000 * ((loud[-1] - loud[0] + 1) - len(expected)) / rate_hz
    print(f"\nstalled 0.2 s: {match.summary()}, {gap_ms:.0f} ms longer, {run.underruns} underruns")
    assert match.coverage < 1.0 and gap_ms > 20, "the stall left no gap: this test proves nothing"
    assert run.underruns > 0, f"a {gap_ms:.0f} ms gap, and the player says 0 underruns"


def test_the_recorder_is_taking_data_before_anything_plays(
    pulse: dict[str, str], tmp_path: Path
) -> None:
    """The proof every run relies on: parec's file grows while the sink is idle, silent."""
    rate_hz, channels = sink_spec(pulse, SINK)
    with Recorder(pulse, f"{SINK}.monitor", tmp_path / "idle.raw", rate_hz, channels) as recorder:
        first = recorder.wait_taking_data()
        assert recorder.wait_taking_data() > first > 0
        assert np.abs(recorder.samples()).max() < 1e-3
