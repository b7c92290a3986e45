"""`auralis` in a real terminal: tmux runs it, sends keys and reads the screen back.

Sound goes to the private PulseAudio null sink, so the whole stack runs as a user's would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, require_audio_fixture
from tests.tui.conftest import TuiLibrary

AURALIS = [sys.executable, "-m", "auralis_tui.cli"]
SESSION = "auralis-test"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tmux(pulse: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    require_audio_fixture(shutil.which("tmux") is not None, "tmux missing (apt-get install tmux)")
    env = {**pulse, "TMUX_TMPDIR": str(tmp_path), "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    yield env
    subprocess.run(["tmux", "kill-server"], env=env, capture_output=True)


def screen(env: dict[str, str]) -> str:
    result = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", SESSION], env=env, capture_output=True, text=True
    )
    return result.stdout


def send(env: dict[str, str], *keys: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", SESSION, *keys], env=env, check=True)


def wait_for(env: dict[str, str], text: str, timeout_s: float = 20.0) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        shown = screen(env)
        if text in shown:
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared; the screen:\n{shown}")
        time.sleep(0.1)


def session_alive(env: dict[str, str]) -> bool:
    return (
        subprocess.run(
            ["tmux", "has-session", "-t", SESSION], env=env, capture_output=True
        ).returncode
        == 0
    )


def test_auralis_in_tmux_browses_searches_plays_and_quits(
    tui_library: TuiLibrary, tmux: dict[str, str]
) -> None:
    command = " ".join([*AURALIS, "--server", tui_library.server.url])
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "140", "-y", "40", command],
        env=tmux,
        check=True,
        cwd=ROOT,
    )
    wait_for(tmux, "Auralis Demo Band")
    wait_for(tmux, "Other Artist")  # the panes fill one request at a time
    shown = wait_for(tmux, "Synthetic Sessions")
    assert "Artists" in shown and "Albums" in shown and "Tracks" in shown

    send(tmux, "/")
    wait_for(tmux, "search title, artist")
    send(tmux, "-l", "bloom")
    wait_for(tmux, "search “bloom”")
    send(tmux, "Enter")  # to the results
    time.sleep(0.5)  # as a person would: the focus moves on the next refresh
    send(tmux, "Enter")  # play
    wait_for(tmux, "▶ Slow Bloom")
    shown = wait_for(tmux, "LUFS")  # the plan, fetched after playback starts
    assert "adaptive 1.0" in shown

    send(tmux, "p")
    wait_for(tmux, "gentle 1.0")
    send(tmux, "Space")
    wait_for(tmux, "⏸ Slow Bloom")
    send(tmux, "?")
    wait_for(tmux, "Auralis — keys")
    send(tmux, "Escape")
    deadline = time.monotonic() + 10
    while "Auralis — keys" in screen(tmux) and time.monotonic() < deadline:
        time.sleep(0.1)  # (an Escape followed at once by q would read as Alt+q)
    send(tmux, "q")
    deadline = time.monotonic() + 10
    while session_alive(tmux) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not session_alive(tmux)  # q quit the app, and with it the pane


def test_make_run_opens_the_tui_on_the_demo_library_and_stops_the_server_on_quit(
    tmux: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**tmux, "HOME": str(tmp_path / "home"), "AURALIS_PORT": str(port)}
    (tmp_path / "home").mkdir()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "140", "-y", "40", "make run"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    shown = wait_for(env, "Breakneck", timeout_s=120)  # the demo album, written and scanned
    assert "Auralis Demo Band" in shown
    assert httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200
    send(env, "q")
    deadline = time.monotonic() + 15
    while session_alive(env) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not session_alive(env)
    with pytest.raises(httpx.ConnectError):  # the server went with the TUI
        httpx.get(f"http://127.0.0.1:{port}/api/health")
