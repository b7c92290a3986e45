"""`auralis ctl` against a real `auralis play` process, its sound recorded from the null sink.

The acceptance test of the remote: the player is a process a user starts, playing through
PortAudio into PulseAudio's null sink (conftest's ``pulse``), whose monitor parec records
(recorder.py); `auralis ctl` is run as a process too. A pause must silence the recording
and hold the position; status must name the track the server lists and a position that
moves. Polls of the status go through `auralis ctl`'s own client code, in this process,
so a loop of them does not start a Python per poll on a two-core machine.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from auralis_server.config import Settings
from auralis_tui.remote.client import NoPlayer
from tests.conftest import LiveServer
from tests.tui.cli_run import AURALIS, ROOT, auralis
from tests.tui.conftest import SINK
from tests.tui.recorder import SILENCE, Recorder, library_server, poll, sink_spec, write_track
from tests.tui.test_remote import ask, leave_stale_socket, status_when

ARTIST = "Recorder Artist"


@contextmanager
def playing(server_url: str, env: dict[str, str], *ids: int) -> Iterator[subprocess.Popen[str]]:
    """`auralis play IDS --device pulse` running; terminated (SIGTERM) on the way out."""
    command = [*AURALIS, "--server", server_url, "play", *map(str, ids), "--device", "pulse"]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)


def wait_for_player(path: Path, process: subprocess.Popen[str]) -> None:
    """Until the player answers on its socket (it starts as a new Python process)."""

    def answers() -> bool:
        assert process.poll() is None, f"the player exited: {process.communicate()[1]}"
        try:
            ask(path, "status")
        except NoPlayer:
            return False
        return True

    poll(answers, 30, "the player's socket")


def _music(folder: Path, rate_hz: int) -> None:
    write_track(folder / "first.flac", 50.0, rate_hz, seed=61, title="First", track_no=1)
    write_track(folder / "second.flac", 20.0, rate_hz, seed=62, title="Second", track_no=2)


def test_ctl_drives_a_real_auralis_play(
    pulse: dict[str, str],
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
) -> None:
    rate_hz, channels = sink_spec(pulse, SINK)
    _music(tmp_path / "music", rate_hz)
    path = Path(pulse["XDG_RUNTIME_DIR"]) / "auralis.sock"
    leave_stale_socket(path)  # a player before this one crashed
    with (
        library_server(settings_for(tmp_path / "music"), live_server) as (server, ids),
        Recorder(pulse, f"{SINK}.monitor", tmp_path / "sink.raw", rate_hz, channels) as recorder,
        playing(server.url, pulse, ids["First"], ids["Second"]) as player,
    ):
        wait_for_player(path, player)
        first = status_when(
            path, lambda s: s["state"] == "playing" and s["position_s"] > 0.3, "play"
        )
        assert first["track"]["id"] == ids["First"] and first["duration_s"] == 50.0
        shown = auralis("ctl", "status", env=pulse)
        assert shown.returncode == 0, shown.stderr
        assert f"track {ids['First']} {ARTIST} – First" in shown.stdout.splitlines()
        assert "state playing" in shown.stdout.splitlines()
        status_when(path, lambda s: s["position_s"] >= first["position_s"] + 1.0, "time to pass")

        paused = auralis("ctl", "pause", env=pulse)
        assert (paused.returncode, paused.stdout, paused.stderr) == (0, "", "")
        held = status_when(path, lambda s: s["state"] == "paused", "the pause")
        silent_from = recorder.wait_silent_after(recorder.frames)
        silent_to = recorder.wait_frames(silent_from + rate_hz // 2)
        assert np.abs(recorder.samples(silent_from, silent_to)).max() < SILENCE
        assert ask(path, "status")["status"]["position_s"] == held["position_s"]

        assert auralis("ctl", "resume", env=pulse).returncode == 0
        recorder.wait_sound(silent_to)
        status_when(path, lambda s: s["position_s"] >= held["position_s"] + 0.5, "playing again")

        assert auralis("ctl", "seek", "40", env=pulse).returncode == 0
        landed = status_when(
            path, lambda s: s["state"] == "playing" and s["position_s"] >= 30.0, "the seek"
        )
        assert abs(landed["position_s"] - 40.0) <= 1.0, landed

        assert auralis("ctl", "next", env=pulse).returncode == 0
        second = status_when(path, lambda s: s["track"]["id"] == ids["Second"], "the next track")
        assert second["position_s"] < 3.0
        queue = auralis("ctl", "queue", env=pulse).stdout.splitlines()
        assert [line[0] for line in queue] == [" ", "▶"]
        assert queue[1].endswith(f"{ids['Second']}  {ARTIST} – Second  0:20")
        assert player.poll() is None
    assert player.returncode == 130  # SIGTERM, handled as Ctrl-C is
    assert not path.exists()
    gone = auralis("ctl", "status", env=pulse)
    assert gone.returncode == 1 and gone.stderr.startswith("auralis: no player is running")


def test_a_second_auralis_play_says_so_and_leaves_ctl_to_the_first(
    pulse: dict[str, str],
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
) -> None:
    rate_hz, _ = sink_spec(pulse, SINK)
    _music(tmp_path / "music", rate_hz)
    path = Path(pulse["XDG_RUNTIME_DIR"]) / "auralis.sock"
    with (
        library_server(settings_for(tmp_path / "music"), live_server) as (server, ids),
        playing(server.url, pulse, ids["First"]) as first,
    ):
        wait_for_player(path, first)
        status_when(path, lambda s: s["state"] == "playing", "the first player")
        with playing(server.url, pulse, ids["Second"]) as second:
            assert second.stderr is not None  # its lines as they come (the process runs on)
            assert second.stderr.readline() == "auralis: playing 1 track\n"
            assert second.stderr.readline() == (
                f"auralis: another player is running: `auralis ctl` controls that one until it quits ({path})\n"
            )
            assert ask(path, "status")["status"]["track"]["id"] == ids["First"]
        assert ask(path, "status")["status"]["track"]["id"] == ids["First"]
        assert first.poll() is None
    assert not path.exists()
