"""The playlists view (`4`) against a real server: create, add with `a`, play, rename, delete.

What the view did is read back from the server's API, never from the view's own state.
"""

from __future__ import annotations

from auralis_tui.app.app import AuralisApp
from auralis_tui.app.screens.playlists import PlaylistsScreen
from auralis_tui.app.widgets.track_table import TrackTable
from tests.tui.conftest import TuiLibrary
from tests.tui.test_app import TRACK_COUNT, run_app, until


def test_the_playlists_view_round_trip(tui_library: TuiLibrary) -> None:
    listed = [t["id"] for t in tui_library.get("/api/tracks", limit=1000, sort="artist")["tracks"]]

    def stored() -> list[dict]:  # type: ignore[type-arg]
        return tui_library.get("/api/playlists")["playlists"]  # type: ignore[no-any-return]

    def stored_ids(name: str) -> list[int] | None:
        for playlist in stored():
            if playlist["name"] == name:
                return tui_library.get(f"/api/playlists/{playlist['id']}")["track_ids"]  # type: ignore[no-any-return]
        return None

    async def script(app: AuralisApp, pilot: object) -> None:
        press = pilot.press  # type: ignore[attr-defined]
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: len(tracks.track_ids) == TRACK_COUNT, "the track list")
        await press("4")
        await until(lambda: isinstance(app.screen, PlaylistsScreen), "the playlists view")
        await press("C", *"Night", "enter")
        await until(lambda: stored_ids("Night") == [], "the new playlist on the server")
        await press("1", "g", "j", "a")  # `1` focuses the tracks: the library's second one
        await until(lambda: type(app.screen).__name__ == "PlaylistPicker", "the picker")
        await press("enter")
        await until(lambda: stored_ids("Night") == [listed[1]], "the track in the playlist")
        await press("G", "a")  # the last track
        await until(lambda: type(app.screen).__name__ == "PlaylistPicker", "the picker")
        await press("enter")
        expected = [listed[1], listed[-1]]
        await until(lambda: stored_ids("Night") == expected, "both, in the order added")
        await press("4")
        table = app.screen.query_one("#playlist-tracks", TrackTable)
        await until(lambda: table.track_ids == expected, "the playlist's tracks in the view")
        await press("enter", "j", "enter")  # to its tracks, the second one: play from there
        await until(lambda: app.session.status().track_id == listed[-1], "the playlist playing")
        assert app.session.queue == expected
        await press("R", "ctrl+a", "ctrl+k", *"Late", "enter")
        await until(lambda: stored_ids("Late") == expected, "the renamed playlist")
        assert stored_ids("Night") is None
        await press("D", "n")  # no: kept
        await until(lambda: isinstance(app.screen, PlaylistsScreen), "the question gone")
        assert stored_ids("Late") == expected
        await press("D", "y")
        await until(lambda: stored() == [], "the playlist deleted on the server")

    run_app(tui_library.server.url, script)
