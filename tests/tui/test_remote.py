"""`auralis ctl`'s requests reach a real session through its socket, against a real server.

The session plays through the capture output at real speed; a request goes over the socket
exactly as `auralis ctl` sends it (its ``exchange``), from a thread, while the loop plays.
What a status must say comes from the server's own API (tags, length, the plan); what a
pause must do is read from the captured samples (silence, the position held).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from auralis_tui.api import AuralisClient
from auralis_tui.app.app import AuralisApp
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.session import Session
from auralis_tui.remote.client import NoPlayer, exchange
from auralis_tui.remote.protocol import decode_answer, parse_words
from auralis_tui.remote.server import serving
from tests.conftest import LiveServer
from tests.server.conftest import Library
from tests.tui.conftest import TuiLibrary
from tests.tui.test_app import SIZE, start_first_track
from tests.tui.test_player_commands import _tracks

Status = dict[str, Any]


def ask(path: Path, *words: str) -> dict[str, Any]:
    """`auralis ctl WORDS`' request and the player's answer, decoded."""
    request, _ = parse_words(list(words))
    return decode_answer(exchange(path, request))


def status_when(
    path: Path, condition: Callable[[Status], bool], what: str, timeout_s: float = 20.0
) -> Status:
    """Poll ``status`` until ``condition`` holds (with a deadline); that status."""
    deadline = time.monotonic() + timeout_s
    while True:
        status: Status = ask(path, "status")["status"]
        if condition(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}: {status}")
        time.sleep(0.02)


def leave_stale_socket(path: Path) -> None:
    """What a player killed with SIGKILL leaves: the socket file, nobody accepting on it."""
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(path))
    left.close()


def _playing_at_least(seconds: float) -> Callable[[Status], bool]:
    return lambda s: s["state"] == "playing" and s["position_s"] >= seconds


def _captured_after(output: CaptureOutput, first_block: int, blocks: int) -> np.ndarray:
    """Wait until the device has pulled ``blocks`` more blocks (about 23 ms each); those."""
    deadline = time.monotonic() + 10
    while len(output.blocks) < first_block + blocks:
        assert time.monotonic() < deadline, "the capture stopped pulling"
        time.sleep(0.01)
    return np.concatenate(output.blocks[first_block : first_block + blocks])


def _script(path: Path, output: CaptureOutput, ids: list[int], server_url: str) -> None:
    """What a user does with `auralis ctl` while the queue plays (runs in a thread)."""
    track = httpx.get(f"{server_url}/api/tracks/{ids[0]}").json()
    plan = httpx.get(
        f"{server_url}/api/tracks/{ids[0]}/plan", params={"preset": "adaptive", "intensity": 1.0}
    ).json()["plan"]

    first = status_when(path, _playing_at_least(0.3), "playback")
    assert first["track"]["id"] == ids[0] and first["queue_index"] == 0
    assert first["track"]["title"] == track["title"] and first["track"]["path"] == track["path"]
    assert first["duration_s"] == track["duration_seconds"]
    assert (first["preset"], first["intensity"], first["queue_length"]) == ("adaptive", 1.0, 2)
    assert first["plan"] == {
        key: plan[key] for key in ("input_lufs", "output_lufs_estimate", "region")
    }
    status_when(path, _playing_at_least(first["position_s"] + 0.5), "the position to advance")

    assert ask(path, "pause") == {"ok": True}
    paused = status_when(path, lambda s: s["state"] == "paused", "the pause")
    held = _captured_after(output, len(output.blocks), 20)
    assert not held.any(), "sound after the pause"
    assert ask(path, "pause") == {"ok": True}  # already paused: stays so (not a toggle)
    _captured_after(output, len(output.blocks), 10)
    again = ask(path, "status")["status"]
    assert again["state"] == "paused" and again["position_s"] == paused["position_s"]

    assert ask(path, "resume") == {"ok": True}
    resumed_at = len(output.blocks)
    status_when(path, _playing_at_least(paused["position_s"] + 0.2), "playing again")
    assert np.abs(_captured_after(output, resumed_at, 20)).max() > 0.01

    assert ask(path, "seek", "40") == {"ok": True}
    landed = status_when(path, _playing_at_least(30.0), "the seek to 40 s")
    assert abs(landed["position_s"] - 40.0) <= 1.0, landed

    before = ask(path, "status")["status"]
    assert ask(path, "seek", "-5") == {"ok": True}
    back = status_when(
        path,
        lambda s: s["state"] == "playing" and s["position_s"] < before["position_s"] - 2,
        "the seek 5 s back",
    )
    assert abs(back["position_s"] - (before["position_s"] - 5.0)) <= 1.0, (before, back)

    assert ask(path, "toggle") == {"ok": True}
    status_when(path, lambda s: s["state"] == "paused", "toggle to pause")
    assert ask(path, "toggle") == {"ok": True}
    status_when(path, lambda s: s["state"] == "playing", "toggle to play")

    assert ask(path, "next") == {"ok": True}
    second = status_when(path, lambda s: s["track"]["id"] == ids[1], "the next track")
    assert second["position_s"] < 3.0 and second["queue_index"] == 1

    queue = ask(path, "queue")["queue"]
    assert queue["current"] == 1
    assert [(entry["index"], entry["id"]) for entry in queue["tracks"]] == list(enumerate(ids))

    # `prev` 3 s or more into a track restarts it (as cmus does), the same track.
    assert ask(path, "seek", "+10") == {"ok": True}
    status_when(path, _playing_at_least(9.0), "the seek forward")
    assert ask(path, "prev") == {"ok": True}
    restarted = status_when(path, lambda s: s["position_s"] < 3.0, "the restart")
    assert restarted["track"]["id"] == ids[1]


def test_ctl_drives_a_session_through_the_controls_the_keys_use(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(library.app())
    _, ids = _tracks(library, 50.0, 20.0)
    path = tmp_path / "auralis.sock"
    outputs: list[CaptureOutput] = []

    def output() -> CaptureOutput:
        outputs.append(CaptureOutput(realtime=True))
        return outputs[-1]

    async def main() -> None:
        async with AuralisClient(server.url) as client:
            session = Session(client, output)
            reports: list[str] = []
            async with serving(session, reports.append, path) as served:
                assert served == path and reports == []
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
                idle = await asyncio.to_thread(ask, path, "status")
                assert idle["status"]["state"] == "idle" and idle["status"]["track"] is None
                refused = await asyncio.to_thread(ask, path, "next")
                assert refused == {"ok": False, "error": "nothing is playing"}
                session.begin(ids)
                run = asyncio.create_task(session.run())
                try:
                    await asyncio.to_thread(_script, path, outputs[0], ids, server.url)
                finally:
                    run.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await run
                after = await asyncio.to_thread(ask, path, "pause")
                assert after == {"ok": False, "error": "nothing is playing"}
        assert not path.exists()

    asyncio.run(main())


def test_a_dead_players_socket_is_replaced_and_a_live_ones_left_alone(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(library.app())
    path = tmp_path / "auralis.sock"
    leave_stale_socket(path)

    async def main() -> None:
        async with AuralisClient(server.url) as client:
            first = Session(client, CaptureOutput)
            first.change_volume(-0.5)  # tells the two players' answers apart
            second = Session(client, CaptureOutput)
            reports: list[str] = []
            async with serving(first, reports.append, path) as served:
                assert served == path and reports == []
                assert (await asyncio.to_thread(ask, path, "status"))["status"]["volume"] == 0.5
                async with serving(second, reports.append, path) as refused:
                    assert refused is None
                    assert reports == [
                        f"another player is running: `auralis ctl` controls that one until it quits ({path})"
                    ]
                    answer = await asyncio.to_thread(ask, path, "status")
                    assert answer["status"]["volume"] == 0.5  # still the first one
                answer = await asyncio.to_thread(ask, path, "status")  # the second left it be
                assert answer["status"]["volume"] == 0.5
            assert not path.exists()

    asyncio.run(main())


def test_a_second_player_takes_the_socket_over_when_the_first_quits(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """A QA report: the second player never got `auralis ctl` after the first had quit."""
    server = live_server(library.app())
    path = tmp_path / "auralis.sock"

    async def main() -> list[str]:
        async with AuralisClient(server.url) as client:
            first, second = Session(client, CaptureOutput), Session(client, CaptureOutput)
            second.change_volume(-0.5)  # tells the two players' answers apart
            reports: list[str] = []
            async with contextlib.AsyncExitStack() as second_running:
                async with serving(first, reports.append, path):
                    assert (
                        await second_running.enter_async_context(
                            serving(second, reports.append, path)
                        )
                        is None
                    )
                    assert (await asyncio.to_thread(ask, path, "status"))["status"]["volume"] == 1.0
                taken = await asyncio.to_thread(
                    _status_once_served, path, lambda status: status["volume"] == 0.5
                )
                assert taken["volume"] == 0.5
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert not path.exists()
            return reports

    assert asyncio.run(main()) == [
        f"another player is running: `auralis ctl` controls that one until it quits ({path})",
        f"the other player quit: `auralis ctl` controls this one now ({path})",
    ]


def _status_once_served(
    path: Path, condition: Callable[[Status], bool], timeout_s: float = 20.0
) -> Status:
    """``status_when``, where nobody may answer for a while (the socket changes hands)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(NoPlayer):
            status: Status = ask(path, "status")["status"]
            if condition(status):
                return status
        time.sleep(0.02)
    raise AssertionError(f"nobody answered as expected on {path} within {timeout_s:.0f} s")


def test_a_file_in_the_sockets_place_is_reported_and_kept(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(library.app())
    path = tmp_path / "auralis.sock"
    path.write_text("mine")

    async def main() -> None:
        async with AuralisClient(server.url) as client:
            reports: list[str] = []
            async with serving(Session(client, CaptureOutput), reports.append, path) as served:
                assert served is None
        assert reports == [
            f"no remote control: {path} exists and is not a socket: no control socket"
        ]

    asyncio.run(main())
    assert path.read_text() == "mine"


def test_a_request_line_gets_one_answer_line_even_when_it_is_no_request(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """What a script typing into the socket (`socat - UNIX-CONNECT:…`) gets, line by line."""
    server = live_server(library.app())
    path = tmp_path / "auralis.sock"

    def talk() -> list[bytes]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(path))
            sock.sendall(b'{"command": "jump"}\nnot json\n{"command": "status"}\n')
            sock.shutdown(socket.SHUT_WR)
            return sock.makefile("rb").readlines()

    async def main() -> list[bytes]:
        async with AuralisClient(server.url) as client:
            async with serving(Session(client, CaptureOutput), [].append, path):
                return await asyncio.to_thread(talk)

    unknown, garbled, status = (decode_answer(line) for line in asyncio.run(main()))
    assert unknown["ok"] is False and "unknown command 'jump'" in unknown["error"]
    assert garbled["ok"] is False and "not a JSON line" in garbled["error"]
    assert status["ok"] is True and status["status"]["state"] == "idle"


def test_the_tui_serves_ctl_while_it_runs_and_removes_the_socket_on_quit(
    tui_library: TuiLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    path = runtime / "auralis.sock"

    async def main() -> None:
        async with AuralisClient(tui_library.server.url) as client:
            session = Session(client, lambda: CaptureOutput(realtime=True))
            app = AuralisApp(client, session, remote_control=True)
            async with app.run_test(size=SIZE) as pilot:
                await start_first_track(app, pilot)
                playing = await asyncio.to_thread(ask, path, "status")
                assert playing["status"]["track"]["id"] == session.status().track_id
                assert await asyncio.to_thread(ask, path, "pause") == {"ok": True}
                deadline = time.monotonic() + 10
                while session.status().state != "paused":  # the space bar's own state
                    assert time.monotonic() < deadline, "ctl pause did not pause the TUI"
                    await pilot.pause(0.02)
                await pilot.press("q")
        assert not path.exists()

    asyncio.run(main())
