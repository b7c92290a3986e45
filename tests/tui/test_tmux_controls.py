"""Seeks, a preset change and a deleted file, as a person at a terminal meets them.

`auralis` runs in tmux against a live server with the demo album (24 s songs) and plays to
the private PulseAudio null sink; the test reads the now-playing bar back from the screen.
The bar's clock has one-second steps, so a position is read from its progress line too
(24 s over ~136 cells: ~0.2 s a cell).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from auralis_tui.app.keys import APP_KEYS
from tests.tui import test_tmux
from tests.tui.conftest import SINK, TuiLibrary
from tests.tui.test_tmux import ROOT, SESSION, screen, send

terminal = test_tmux.tmux  # the fixture, under the name these tests use
TOLERANCE_S = 1.0
KEY_GAP_S = 0.05  # between key presses: a quick hand, every batch well within 300 ms
BATCH_LIMIT_S = 0.3
POLL_S = 0.1  # between screen reads: the bar repaints every 0.2 s; each read is a tmux process
FIRST_TRACK, NEXT_TRACK = "Morning Loop", "Night Drive"  # demo songs 1 and 2


def _seek_step_s(key: str) -> float:
    """The seek a key does, from the one key table (so a changed step changes the test)."""
    action = next(k.action for k in APP_KEYS if key in k.keys.split(","))
    match = re.fullmatch(r"seek\((-?[\d.]+)\)", action)
    assert match, action
    return float(match.group(1))


FORWARD_S, BACK_S = _seek_step_s("right"), _seek_step_s("left")

_TITLE_LINE = re.compile(r"^ (\S) (.+?)  .*?(\d+):(\d\d) / (\d+):(\d\d)\s*$")


@dataclass(frozen=True)
class Bar:
    """The now-playing bar as the screen shows it."""

    glyph: str  # ▶ playing, … buffering, ⏸, ⟳, ■
    title: str
    position_s: float
    duration_s: float
    status: str  # the third line: volume, preset, plan, buffer, underruns, notice
    at: float  # time.monotonic() of the capture

    @property
    def underruns(self) -> int:
        found = re.search(r"underruns (\d+)", self.status)
        return int(found.group(1)) if found else 0  # the bar names underruns only if any

    def __str__(self) -> str:
        return f"{self.glyph} {self.title} {self.position_s:.2f}/{self.duration_s:.0f} s | {self.status.strip()}"


def read_bar(env: dict[str, str]) -> tuple[Bar | None, str]:
    """The bar (None while nothing plays) and the whole screen it was read from."""
    at = time.monotonic()
    shown = screen(env)
    lines = shown.splitlines()
    for row, line in enumerate(lines[:-2]):
        match = _TITLE_LINE.match(line)
        if match is None:
            continue
        glyph, title = match.group(1), match.group(2)
        clock_s = int(match.group(3)) * 60 + int(match.group(4))
        duration_s = float(int(match.group(5)) * 60 + int(match.group(6)))
        progress = lines[row + 1]
        filled, width = progress.count("━"), progress.count("━") + progress.count("─")
        # The clock truncates to the second; the progress line rounds to a cell.
        fine_s = filled / width * duration_s if width else clock_s
        position_s = min(max(fine_s, clock_s), clock_s + 0.999)
        return Bar(glyph, title, position_s, duration_s, lines[row + 2], at), shown
    return None, shown


def wait_bar(env: dict[str, str], check: object, what: str, timeout_s: float = 10.0) -> Bar:
    """Poll the screen until ``check(bar)`` holds; fail with the last screen otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        bar, shown = read_bar(env)
        if bar is not None and check(bar):  # type: ignore[operator]
            return bar
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s; last bar: {bar}\n{shown}")
        time.sleep(POLL_S)


def open_player(library: TuiLibrary, env: dict[str, str]) -> list[str]:
    """`auralis` in tmux, its sound to the null sink, the cursor on the first demo song;
    the titles in the order the tracks pane lists them.

    The PulseAudio variables are in the command itself: a tmux server keeps the
    environment it was started with, not the one of each client call.
    """
    audio_env = {name: env[name] for name in ("XDG_RUNTIME_DIR", "PULSE_SINK", "HOME")}
    command = shlex.join(
        [
            "env",
            *(f"{name}={value}" for name, value in audio_env.items()),
            sys.executable,
            "-m",
            "auralis_tui.cli",
            "--server",
            library.server.url,
            "--device",
            "pulse",
        ]
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "140", "-y", "40", command],
        env=env,
        check=True,
        cwd=ROOT,
    )
    # The pane lists every track as the API sorts them (untagged ones first).
    listed = [t["title"] for t in library.get("/api/tracks", limit=1000, sort="artist")["tracks"]]
    assert listed[listed.index(FIRST_TRACK) + 1] == NEXT_TRACK, listed
    deadline = time.monotonic() + 20
    while FIRST_TRACK not in (shown := screen(env)):
        assert time.monotonic() < deadline, f"the tracks never showed:\n{shown}"
        time.sleep(0.05)
    send(env, "Tab")
    send(env, "Tab")  # artists → albums → tracks
    for _ in range(listed.index(FIRST_TRACK)):
        send(env, "j")  # keys are handled in order: Enter, later, plays this row
    return listed


def press(env: dict[str, str], *keys: str, gap_s: float = KEY_GAP_S) -> tuple[float, float]:
    """Press ``keys`` ``gap_s`` apart; (time before the first, time after the last).

    One tmux call, its own ``run-shell sleep`` between the keys: the gaps do not depend
    on how fast this process can start another ``tmux`` on a busy machine. With no gap
    the keys reach the app in one burst, as a fast roll of the fingers or key repeat.
    """
    command: list[str] = ["tmux"]
    for index, key in enumerate(keys):
        if index:
            command += ["run-shell", f"sleep {gap_s}", ";"] if gap_s else []
        command += ["send-keys", "-t", SESSION, key, ";"]
    first = time.monotonic()
    subprocess.run(command[:-1], env=env, check=True)
    last = time.monotonic()
    assert last - first < BATCH_LIMIT_S, f"the keys took {last - first:.3f} s"
    return first, last


def play_first_track(env: dict[str, str]) -> Bar:
    """Enter on the first track; its bar once the sound has started."""
    send(env, "Enter")
    return wait_bar(env, lambda b: b.glyph == "▶" and b.title == FIRST_TRACK, "Enter plays")


@dataclass(frozen=True)
class Landing:
    """How a jump landed, read from the bar: every reading from the landing on."""

    readings: list[Bar]
    latency_s: float  # keys → the bar shows the track playing (▶) at the target
    held_s: float  # then ▶ with the position not moving yet (the device not taking audio)

    @property
    def underruns(self) -> int:
        return max(bar.underruns for bar in self.readings)


def assert_plays_at(
    env: dict[str, str],
    title: str,
    target_s: float,
    pressed_at: float,
    *,
    window_s: float = 1.5,
    underruns_allowed: bool = False,
) -> Landing:
    """``title`` plays on from ``target_s`` after keys pressed at ``pressed_at``.

    The jump lands when the bar first shows the track playing (▶) near the target; until
    then a pending jump shows its target (…), or the old place before the app has read
    the keys. From when the position starts to move, over ``window_s``, every reading must
    be that track at the landing position + the time since, ±1 s (a seek that slips to
    another track or place fails), with no underruns.
    """
    seen: list[Bar] = []  # every reading, for the failure message

    def trace() -> str:
        return "\n".join(
            f"  +{b.at - pressed_at:5.2f} s  {b.glyph} {b.title} {b.position_s:6.2f} s"
            f"  underruns {b.underruns}"
            for b in seen[:70]
        )

    not_yet = pressed_at  # the last moment it had not landed
    deadline = pressed_at + 5.0
    while True:
        bar, shown = read_bar(env)
        seen += [bar] if bar is not None else []
        since = 0.0 if bar is None else bar.at - not_yet
        if (
            bar is not None
            and bar.title == title
            and target_s - TOLERANCE_S <= bar.position_s <= target_s + TOLERANCE_S + since
        ):
            if bar.glyph == "▶":
                break
            assert abs(bar.position_s - target_s) <= TOLERANCE_S, f"pending at {bar}\n{trace()}"
        assert time.monotonic() < deadline, (
            f"never {title} at {target_s:.2f} s: {bar}\n{trace()}\n{shown}"
        )
        not_yet = time.monotonic()
        time.sleep(POLL_S)
    landed = bar
    anchor = landed  # the last reading before the position moves on from the landing
    readings = [landed]
    while readings[-1].at - anchor.at < window_s:
        time.sleep(POLL_S)  # let playback go on: the window is what is under test
        later, shown = read_bar(env)
        assert later is not None, shown
        readings.append(later)
        seen.append(later)
        if later.title == title and later.position_s == anchor.position_s:
            anchor = later
        assert later.at - landed.at < window_s + 3.0, f"stuck at {anchor}\n{trace()}"
    for later in readings[readings.index(anchor) :]:
        expected_s = anchor.position_s + (later.at - anchor.at)
        assert later.title == title, f"another track: {later}\n{trace()}"
        assert abs(later.position_s - expected_s) <= TOLERANCE_S, (
            f"at {later.position_s:.2f} s, expected {expected_s:.2f} s: {later}\n{trace()}"
        )
        assert underruns_allowed or later.underruns == 0, f"underruns: {later}\n{trace()}"
    assert "Traceback" not in screen(env)
    return Landing(readings, landed.at - pressed_at, anchor.at - landed.at)


def assert_sink_hears_sound(env: dict[str, str]) -> float:
    """The null sink's monitor carries sound now: the player really plays through Pulse."""
    with subprocess.Popen(
        ["parec", "-d", f"{SINK}.monitor", "--format=float32le", "--rate=44100", "--channels=2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as recorder:
        assert recorder.stdout is not None
        data = recorder.stdout.read(44100 * 2 * 4 // 2)  # half a second
        recorder.terminate()
    peak = float(np.abs(np.frombuffer(data, dtype="<f4")).max(initial=0.0))
    assert peak > 1e-3, f"the sink is silent (peak {peak})"
    return peak


def report(name: str, start_s: float, target_s: float, landing: Landing) -> None:
    """One line per test (shown with -s): where it was, where it went, what the bar said."""
    first, last = landing.readings[0], landing.readings[-1]
    print(
        f"\n{name}: from {start_s:.2f} s to {target_s:.2f} s; bar ▶ {first.position_s:.2f} s "
        f"{landing.latency_s:.2f} s after the keys (still for {landing.held_s:.2f} s), "
        f"{last.position_s:.2f} s {last.at - first.at:.1f} s later; "
        f"underruns {landing.underruns}; bar: {last}"
    )


def test_preset_then_two_quick_seeks_forward_keep_the_track_at_the_sum(
    tui_library: TuiLibrary, terminal: dict[str, str]
) -> None:
    """p, → → within 300 ms while playing: the preset change refetches from a chunk
    boundary and two jumps follow it; they must add up on the same track, fetched with the
    new preset."""
    open_player(tui_library, terminal)
    play_first_track(terminal)
    start = wait_bar(terminal, lambda b: b.position_s >= 1.0, "a second played")
    first_key, last_key = press(terminal, "p", "Right", "Right")
    start_s = start.position_s + (first_key - start.at)
    target_s = start_s + 2 * FORWARD_S
    landing = assert_plays_at(terminal, FIRST_TRACK, target_s, last_key)
    assert "gentle 1.0" in landing.readings[-1].status  # the seek's fetch used the new preset
    report("p → →", start_s, target_s, landing)
    assert_sink_hears_sound(terminal)


def test_enter_preset_and_two_seeks_in_one_burst_land_at_the_sum(
    tui_library: TuiLibrary, terminal: dict[str, str]
) -> None:
    """Enter p → → in one burst, on three songs in turn: each must play from 2 × 5 s.

    Pressed a quick hand apart (50 ms) the seeks are lost about one time in three; in one
    burst nearly always: each try stops the test at the first loss.
    """
    listed = open_player(tui_library, terminal)
    for row in range(3):
        title = listed[listed.index(FIRST_TRACK) + row]
        if row:
            send(terminal, "j")
        _, last_key = press(terminal, "Enter", "p", "Right", "Right", gap_s=0.0)
        bar = wait_bar(terminal, lambda b, t=title: b.glyph == "▶" and b.title == t, title)
        time.sleep(0.3)  # past the moment the sound starts
        bar, _ = read_bar(terminal)
        assert bar is not None and bar.title == title
        expected_s = 2 * FORWARD_S + (bar.at - last_key)
        print(f"\nEnter p → → on {title}: at {bar.position_s:.2f} s, expected ≤ {expected_s:.2f}")
        assert 2 * FORWARD_S - TOLERANCE_S <= bar.position_s <= expected_s + TOLERANCE_S, (
            f"try {row + 1}: {bar}"
        )


def test_two_quick_seeks_back_after_six_seconds_stay_on_the_track(
    tui_library: TuiLibrary, terminal: dict[str, str]
) -> None:
    """← ← from ~6 s: clamped at the start of the same track, not the previous one."""
    open_player(tui_library, terminal)
    play_first_track(terminal)
    start = wait_bar(terminal, lambda b: b.position_s >= 6.0, "six seconds played", timeout_s=15)
    first_key, last_key = press(terminal, "Left", "Left")
    start_s = start.position_s + (first_key - start.at)
    target_s = max(0.0, start_s + 2 * BACK_S)
    landing = assert_plays_at(terminal, FIRST_TRACK, target_s, last_key)
    report("← ← after 6 s", start_s, target_s, landing)
    assert_sink_hears_sound(terminal)


def test_four_quick_seeks_forward_stay_on_the_track(
    tui_library: TuiLibrary, terminal: dict[str, str]
) -> None:
    """→ → → → (20 s into a 24 s track): each jump counts from the last one's target, so
    they add up and stay inside the track."""
    open_player(tui_library, terminal)
    start = play_first_track(terminal)
    first_key, last_key = press(terminal, "Right", "Right", "Right", "Right")
    start_s = start.position_s + (first_key - start.at)
    target_s = start_s + 4 * FORWARD_S
    assert target_s < start.duration_s - 2.5  # room to watch it play on
    landing = assert_plays_at(terminal, FIRST_TRACK, target_s, last_key, window_s=1.0)
    report("→ → → →", start_s, target_s, landing)


def test_deleting_the_playing_file_goes_on_with_the_next_track(
    tui_library: TuiLibrary, terminal: dict[str, str]
) -> None:
    """The playing file removed: the next fetch of it fails, and the queue goes on.

    A 24 s song is buffered whole within a second (the ring holds four 10 s chunks), so
    the deletion shows only when the client has to fetch that file again: here a seek
    back. The bar must then name the next track, with a one-line notice, and no traceback.
    """
    tracks = tui_library.get("/api/tracks", limit=100)["tracks"]
    playing = next(t for t in tracks if t["title"] == FIRST_TRACK)
    open_player(tui_library, terminal)
    play_first_track(terminal)
    wait_bar(terminal, lambda b: b.position_s >= 2.0, "two seconds played")
    Path(playing["path"]).unlink()
    _, pressed = press(terminal, "Left")
    # An underrun as the next track starts (seen in 2 of ~12 runs) is reported, not failed:
    # this test is about going on after the deletion.
    landing = assert_plays_at(
        terminal, NEXT_TRACK, 0.0, pressed, window_s=1.0, underruns_allowed=True
    )
    notice = f"track {playing['id']} stopped early"
    assert notice in landing.readings[-1].status, f"no notice: {landing.readings[-1]}"
    shown = screen(terminal)
    lines = shown.splitlines()
    row = next(i for i, line in enumerate(lines) if notice in line)
    assert lines[row + 1].lstrip().startswith("space pause"), shown  # the footer: one line
    assert "Traceback" not in shown, shown
    report("deleted file, ←", 2.0, 0.0, landing)
    assert_sink_hears_sound(terminal)
