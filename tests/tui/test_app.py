"""The Textual app driven by Pilot against a real server, with the capture output as the card.

Expectations come from the server's own API (what the panes must list, the plan for a
preset) or from the keys' definitions (5 s, 60 s), never from the app's own state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from auralis_server.library.scanner import Scanner
from auralis_server.mastering.plan import REFERENCE_BANDS, make_plan
from auralis_tui.api import AuralisClient
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.widgets.now_playing import NowPlayingBar, plan_text
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.session import Session
from auralis_tui.format import track_title
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library
from tests.tui.conftest import TuiLibrary

SIZE = (140, 40)


def run_app(
    url: str,
    script: Callable[[AuralisApp, object], Awaitable[None]],
    app_options: dict[str, object] | None = None,
    **session_options: object,
) -> None:
    async def main() -> None:
        async with AuralisClient(url) as client:
            session = Session(client, lambda: CaptureOutput(realtime=True), **session_options)  # type: ignore[arg-type]
            app = AuralisApp(client, session, **(app_options or {}))  # type: ignore[arg-type]
            async with app.run_test(size=SIZE) as pilot:
                await script(app, pilot)
                await pilot.press("q")

    asyncio.run(main())


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def bar_text(app: AuralisApp) -> str:
    return str(app.screen.query_one(NowPlayingBar).render())  # the bar of the view showing


def option_prompts(app: AuralisApp, selector: str) -> list[str]:
    pane = app.query_one(selector)
    return [str(pane.get_option_at_index(i).prompt) for i in range(pane.option_count)]  # type: ignore[attr-defined]


TRACK_COUNT = 7


async def start_first_track(app: AuralisApp, pilot: object) -> None:
    tracks = app.query_one("#tracks", TrackTable)
    await until(lambda: len(tracks.track_ids) == TRACK_COUNT, "the track list")
    await pilot.press("tab", "tab", "g", "enter")  # type: ignore[attr-defined]
    await until(lambda: app.session.status().state == "playing", "playback")


def test_panes_populate_from_the_server_and_follow_the_selection(tui_library: TuiLibrary) -> None:
    artists = [a["name"] for a in tui_library.get("/api/artists")["artists"]]
    untagged = tui_library.get("/api/tracks", missing="artist")["tracks"]
    lone_album = tui_library.get("/api/albums", artist="Other Artist")["albums"]
    lone_tracks = tui_library.get("/api/tracks", artist="Other Artist")["tracks"]
    every_track = tui_library.get("/api/tracks", limit=1000, sort="artist")["tracks"]
    last_album = tui_library.get("/api/albums")["albums"][-1]["name"]
    last_album_ids = [t["id"] for t in tui_library.get("/api/tracks", album=last_album)["tracks"]]

    async def script(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        names = ["(no artist)", *artists[1:]]
        await until(lambda: option_prompts(app, "#artists")[1:] == names, "the artists")
        await until(lambda: tracks.track_ids == [t["id"] for t in every_track], "every track")
        await pilot.press("j")  # type: ignore[attr-defined]  # the untagged files
        await until(lambda: tracks.track_ids == [t["id"] for t in untagged], "untagged tracks")
        await pilot.press("j", "j")  # type: ignore[attr-defined]  # the other artist
        await until(
            lambda: option_prompts(app, "#albums")[1:] == [a["name"] for a in lone_album],
            "that artist's albums",
        )
        await until(lambda: tracks.track_ids == [t["id"] for t in lone_tracks], "their tracks")
        await pilot.press("g", "tab", "G")  # type: ignore[attr-defined]  # last album
        await until(lambda: tracks.track_ids == last_album_ids, "the last album's tracks")

    assert artists == [None, "Auralis Demo Band", "Other Artist"]
    run_app(tui_library.server.url, script)


def test_search_filters_as_you_type_and_escape_goes_back(tui_library: TuiLibrary) -> None:
    every_id = [t["id"] for t in tui_library.get("/api/tracks", limit=1000)["tracks"]]
    matching = [t["id"] for t in tui_library.get("/api/tracks", q="bloom")["tracks"]]

    async def script(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: len(tracks.track_ids) == len(every_id), "the track list")
        await pilot.press("slash", "b", "l", "o", "o", "m")  # type: ignore[attr-defined]
        await until(lambda: tracks.track_ids == matching, "the search results")
        await pilot.press("escape")  # type: ignore[attr-defined]
        await until(lambda: sorted(tracks.track_ids) == sorted(every_id), "the whole list")

    assert len(matching) == 1
    run_app(tui_library.server.url, script)


def test_enter_plays_space_pauses_and_n_and_shift_n_change_track(tui_library: TuiLibrary) -> None:
    listed = tui_library.get("/api/tracks", limit=1000, sort="artist")["tracks"]
    order, titles = [t["id"] for t in listed], [track_title(t) for t in listed]

    async def script(app: AuralisApp, pilot: object) -> None:
        await start_first_track(app, pilot)
        assert app.session.status().track_id == order[0]
        await until(lambda: titles[0] in bar_text(app), "the title in the bar")
        await pilot.press("space")  # type: ignore[attr-defined]
        assert app.session.status().state == "paused"
        held = app.session.status().position_s
        await asyncio.sleep(0.6)
        assert app.session.status().position_s == held  # the device plays silence, in place
        await pilot.press("space")  # type: ignore[attr-defined]
        await until(lambda: app.session.status().position_s > held + 0.2, "playback to resume")
        await pilot.press("n")  # type: ignore[attr-defined]
        await until(lambda: app.session.status().track_id == order[1], "the next track")
        await until(lambda: titles[1] in bar_text(app), "its title in the bar")
        await pilot.press("N")  # type: ignore[attr-defined]
        await until(lambda: app.session.status().track_id == order[0], "the previous track")
        assert app.session.status().position_s < 3.0  # from its start

    run_app(tui_library.server.url, script)


def test_seek_keys_move_by_5_and_60_seconds(tui_library: TuiLibrary) -> None:
    first = tui_library.get("/api/tracks", limit=1, sort="artist")["tracks"][0]
    last_frame_s = (first["geometry"]["total_frames"] - 1) / first["sample_rate_hz"]

    async def script(app: AuralisApp, pilot: object) -> None:
        await start_first_track(app, pilot)
        await pilot.press("space")  # type: ignore[attr-defined]  # paused: the position holds still
        before = app.session.status().position_s
        await pilot.press("right")  # type: ignore[attr-defined]
        await until(lambda: app.session.status().track_id is not None, "the seek")
        await until(lambda: abs(app.session.status().position_s - (before + 5)) < 0.01, "+5 s")
        await pilot.press("left", "left")  # type: ignore[attr-defined]
        await until(lambda: app.session.status().position_s < 0.01, "back to 0 (clamped)")
        await pilot.press("full_stop")  # type: ignore[attr-defined]  # past the end
        await until(
            lambda: abs(app.session.status().position_s - last_frame_s) < 0.01,
            "+60 s, clamped to the last frame",
        )

    run_app(tui_library.server.url, script)


def test_preset_and_intensity_keys_change_the_plan_shown(tui_library: TuiLibrary) -> None:
    first = tui_library.get("/api/tracks", limit=1, sort="artist")["tracks"][0]["id"]

    def server_plan(preset: str, intensity: float, track: int = first) -> str:
        plan = tui_library.get(f"/api/tracks/{track}/plan", preset=preset, intensity=intensity)
        return plan_text(plan["plan"])

    def heard_plan(app: AuralisApp, preset: str, intensity: float) -> bool:
        """The bar shows the plan of the track playing now, at these settings."""
        track = app.session.status().track_id
        return track is not None and server_plan(preset, intensity, track) in bar_text(app)

    async def script(app: AuralisApp, pilot: object) -> None:
        await start_first_track(app, pilot)
        await until(lambda: server_plan("adaptive", 1.0) in bar_text(app), "the adaptive plan")
        await pilot.press("p")  # type: ignore[attr-defined]
        # Chosen at once, heard (with its plan) from the next chunk boundary, ≤ 10 s later.
        await until(lambda: "→ gentle 1.0 next chunk" in bar_text(app), "the preset chosen")
        assert server_plan("adaptive", 1.0) in bar_text(app)  # still what is heard
        await until(lambda: server_plan("gentle", 1.0) in bar_text(app), "the gentle plan", 25)
        assert "next chunk" not in bar_text(app)
        await pilot.press("left_square_bracket", "left_square_bracket")  # type: ignore[attr-defined]
        await until(lambda: "gentle 0.8" in bar_text(app), "the intensity in the bar")
        # In the first track's last chunk the change lands at the next track's start.
        await until(lambda: heard_plan(app, "gentle", 0.8), "the plan at 0.8", 30)
        assert app.session.player is not None
        assert app.session.player.settings.intensity == 0.8  # the stream uses it too

    assert server_plan("adaptive", 1.0) != server_plan("gentle", 0.8)
    run_app(tui_library.server.url, script)


def test_help_opens_and_closes(tui_library: TuiLibrary) -> None:
    async def script(app: AuralisApp, pilot: object) -> None:
        await pilot.press("question_mark")  # type: ignore[attr-defined]
        await until(lambda: type(app.screen).__name__ == "HelpScreen", "the help screen")
        text = str(app.screen.query_one("#help-keys").render())
        assert "seek forward 60 s" in text and "next mastering preset" in text
        await pilot.press("escape")  # type: ignore[attr-defined]
        await until(lambda: type(app.screen).__name__ != "HelpScreen", "the help to close")

    run_app(tui_library.server.url, script)


def test_enqueue_adds_to_the_queue_view(tui_library: TuiLibrary) -> None:
    lone = tui_library.get("/api/tracks", artist="Other Artist")["tracks"][0]["id"]

    async def script(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: len(tracks.track_ids) == TRACK_COUNT, "the track list")
        await pilot.press("tab", "tab", "G", "e", "2")  # type: ignore[attr-defined]
        queue = app.screen.query_one("#queue", TrackTable)  # the queue view's own screen
        await until(lambda: queue.track_ids == [lone], "the queue view")
        await pilot.press("enter")  # type: ignore[attr-defined]  # play from the queue
        await until(lambda: app.session.status().track_id == lone, "the queued track to play")

    run_app(tui_library.server.url, script)


FP = [name for name, _ in TrackTable.COLUMNS].index("FP")


def test_fingerprint_status_follows_the_servers_events(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    # Ten minutes: long enough to still be pending when the app first lists it.
    write_audio(library.music / "later.wav", 600.0, subtype="PCM_16", seed=5)
    Scanner([library.music], workers=1).run()
    server = live_server(library.app(fingerprint_workers=1))
    later = library.track_id("later.wav")

    async def script(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: later in tracks.track_ids, "the track list")
        row = tracks.track_ids.index(later)
        await until(lambda: tracks.row_cells(row)[1] != "…", "the row")
        assert tracks.row_cells(row)[FP] in ("○", "◐")  # pending or processing when listed
        await pilot.press("e", "2")  # type: ignore[attr-defined]  # every track, to the queue
        queue = app.screen.query_one("#queue", TrackTable)
        await until(lambda: later in queue.track_ids, "the queue")
        in_queue = queue.track_ids.index(later)
        await until(
            lambda: queue.row_cells(in_queue)[FP] == "●", "the queue to show it complete", 60
        )
        await pilot.press("1", "2")  # type: ignore[attr-defined]  # shown again: still complete
        assert queue.row_cells(in_queue)[FP] == "●"
        await pilot.press("1")  # type: ignore[attr-defined]
        assert tracks.row_cells(row)[FP] == "●"

    run_app(server.url, script)


def test_an_auto_plan_shows_the_preset_it_chose() -> None:
    loud = {"lufs": -8.0, "crest_db": 8.0, **dict.fromkeys(REFERENCE_BANDS, 1 / 7)}
    plan = make_plan(loud, "auto", 1.0).as_dict()
    assert plan_text(plan).startswith(f"auto → {plan['chosen_preset']} · ")
    assert not plan_text(make_plan(loud, "gentle", 1.0).as_dict()).startswith("auto")
