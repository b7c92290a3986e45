"""Resume on start (issue 13's acceptance): play, seek to 40 s, quit; a new client, on this
"machine" or another (its own XDG config home naming the same server), starts paused on
the same queue, track and position (±1 s).

Each client is a fresh client, session and app built from its machine's ``client.toml``,
as ``auralis`` builds them; only the server remembers anything between them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from auralis_server.library.scanner import Scanner
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.commands.options import build_parser, parse_arguments
from auralis_tui.config import load_client_settings
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library
from tests.tui.conftest import TuiLibrary
from tests.tui.test_app import run_app, until

SEEK_TO_S = 40.0


def _machine(tmp_path: Path, name: str, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A client machine: its own config home, whose client.toml names the server."""
    home = tmp_path / name
    (home / "auralis").mkdir(parents=True, exist_ok=True)
    (home / "auralis" / "client.toml").write_text(f'server = "{url}"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return load_client_settings(environ={}).server


def test_a_new_client_resumes_paused_where_the_last_one_quit(
    library: Library,
    live_server: Callable[..., LiveServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_audio(library.music / "long.wav", 70.0, subtype="PCM_16", seed=4)
    Scanner([library.music], workers=1).run()
    server = live_server(library.app())
    long_id = library.track_id("long.wav")
    quit_at: dict[str, object] = {}

    async def play_and_seek(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: long_id in tracks.track_ids, "the track list")
        await pilot.press("tab", "tab")  # type: ignore[attr-defined]
        tracks.move_cursor(row=tracks.track_ids.index(long_id))
        await pilot.press("enter")  # type: ignore[attr-defined]
        await until(lambda: app.session.status().state == "playing", "playback")
        app.session.seek_to(SEEK_TO_S)
        await until(lambda: app.session.status().position_s >= SEEK_TO_S, "the seek")
        status = app.session.status()
        quit_at.update(queue=list(app.session.queue), index=status.queue_index)
        quit_at["position_s"] = status.position_s  # `q` follows at once (run_app)

    async def resumed(app: AuralisApp, pilot: object) -> None:
        await until(lambda: app.session.status().track_id == long_id, "the resumed track", 30)
        status = app.session.status()
        assert status.state == "paused" and app.session.paused
        assert app.session.queue == quit_at["queue"]
        assert status.queue_index == quit_at["index"]
        assert abs(status.position_s - quit_at["position_s"]) <= 1.0  # type: ignore[operator]
        assert SEEK_TO_S <= status.position_s <= SEEK_TO_S + 1.0 + 1.0

    laptop = _machine(tmp_path, "laptop", server.url, monkeypatch)
    run_app(laptop, play_and_seek)
    assert quit_at["index"] is not None
    run_app(_machine(tmp_path, "laptop", server.url, monkeypatch), resumed, {"resume": True})
    run_app(_machine(tmp_path, "nas", server.url, monkeypatch), resumed, {"resume": True})


def test_no_resume_starts_empty_and_leaves_the_stored_state(
    tui_library: TuiLibrary,
) -> None:
    """``--no-resume``: nothing begins, and quitting at once does not wipe the stored state."""
    server = tui_library.server
    ids = [t["id"] for t in tui_library.get("/api/tracks")["tracks"]][:3]
    state = {"queue": ids, "index": 1, "position_s": 5.0, "shuffle": "off", "repeat": "off",
             "preset": None, "intensity": None, "volume": None}  # fmt: skip
    httpx.put(f"{server.url}/api/playstate", json=state).raise_for_status()

    async def fresh(app: AuralisApp, pilot: object) -> None:
        assert app.session.player is None and app.session.queue == []

    run_app(server.url, fresh, {"resume": False})
    stored = httpx.get(f"{server.url}/api/playstate").json()
    assert (stored["queue"], stored["index"], stored["position_s"]) == (ids, 1, 5.0)


def test_a_server_that_is_down_neither_stops_the_player_nor_shows_a_traceback() -> None:
    """Resume, the ticks and the save on quit all fail quietly; the app runs and quits."""

    async def down(app: AuralisApp, pilot: object) -> None:
        await app.play_state.tick()  # what the timer runs: a failed write is not an error
        app.session.queue = [1, 2]  # a change to write: tried, and kept for the next tick
        await app.play_state.tick()
        assert app.session.player is None and app.return_code is None

    run_app("http://127.0.0.1:9", down, {"resume": True})


def test_no_resume_is_a_flag_of_the_player_only_and_help_lists_ctl() -> None:
    assert parse_arguments(["--no-resume"]).no_resume is True
    assert "no_resume" not in vars(parse_arguments([]))
    with pytest.raises(SystemExit):
        parse_arguments(["--no-resume", "ls"])
    assert re.search(r"^ +ctl +control the running player", build_parser().format_help(), re.M)
