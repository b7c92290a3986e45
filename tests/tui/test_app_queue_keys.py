"""The play-mode and queue-editing keys, pressed through Pilot against a real server.

Expectations: the documented cycles (shuffle off → tracks → albums → off; repeat off ↔ all,
Ctrl-R one ↔ off) and a plain list edited as each key says, compared with the session's
queue and the queue view after every key.
"""

from __future__ import annotations

from auralis_tui.app.app import AuralisApp
from auralis_tui.app.screens.queue import QueueScreen
from auralis_tui.app.widgets.track_table import TrackTable
from tests.tui.conftest import TuiLibrary
from tests.tui.test_app import TRACK_COUNT, bar_text, run_app, until


def test_mode_keys_cycle_and_show_in_the_bar(tui_library: TuiLibrary) -> None:
    async def script(app: AuralisApp, pilot: object) -> None:
        press, session = pilot.press, app.session  # type: ignore[attr-defined]
        for shuffle in ("tracks", "albums", "off"):
            await press("s")
            assert session.mode.shuffle == shuffle
            assert (f"shuffle {shuffle}" in bar_text(app)) == (shuffle != "off")
        for key, repeat in (("r", "all"), ("ctrl+r", "one"), ("ctrl+r", "off"), ("r", "all"),
                            ("r", "off")):  # fmt: skip
            await press(key)
            assert session.mode.repeat == repeat, key
            assert (f"repeat {repeat}" in bar_text(app)) == (repeat != "off")
        volume = session.volume
        await press("m")
        assert session.muted and "muted" in bar_text(app)
        await press("m")
        assert not session.muted and "muted" not in bar_text(app) and session.volume == volume

    run_app(tui_library.server.url, script)


def test_queue_keys_edit_the_queue_as_a_list_would(tui_library: TuiLibrary) -> None:
    listed = [t["id"] for t in tui_library.get("/api/tracks", limit=1000, sort="artist")["tracks"]]

    async def script(app: AuralisApp, pilot: object) -> None:
        press, session = pilot.press, app.session  # type: ignore[attr-defined]
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: len(tracks.track_ids) == TRACK_COUNT, "the track list")
        await press("tab", "tab", "g", "enter")  # the whole pane, from its first track
        await until(lambda: session.status().track_id == listed[0], "playback")
        # Repeat current: the first entry keeps playing however long the edits take (under
        # CI load they outlasted its 24 s and the play head had moved on); `n` still moves on.
        await press("ctrl+r")
        await press("2")
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one("#queue", TrackTable)
        model = list(listed)

        async def check(*keys: str) -> None:
            """The player applies edits as commands: wait for it, then for the view."""
            await press(*keys)
            await until(lambda: session.queue == model, f"the queue after {keys}")
            await until(lambda: table.track_ids == model, f"the view after {keys}")

        model[-2], model[-1] = model[-1], model[-2]
        await check("G", "K")  # the last entry up one
        assert table.cursor_row == len(model) - 2
        model[-2], model[-1] = model[-1], model[-2]
        await check("J")  # and back
        del model[2]
        await check("g", "j", "j", "d")  # the third entry goes
        del model[2]
        await check("delete")  # and the one that took its place
        model.insert(1, model.pop())
        await check("G", "E")  # the last entry: to play next, right after the playing one
        assert table.cursor_row == 1
        await press("G", "i")
        assert table.cursor_row == session.status().queue_index == 0
        await press("n")
        await until(lambda: session.status().track_id == model[1], "the moved entry to play")
        model[:] = [model[1]]
        await check("c")  # clear: the playing entry stays to play to its end
        assert session.status().track_id == model[0]

    run_app(tui_library.server.url, script)
