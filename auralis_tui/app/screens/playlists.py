"""The playlists view: the server's saved playlists beside the tracks of the one highlighted.

Playlists live on the server, so every client sees the same ones. Enter on a playlist goes
to its tracks; Enter on a track plays the playlist from there (the app's ``play``). ``C``,
``R`` and ``D`` create, rename and delete; ``a`` (anywhere) adds the selection to one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import OptionList

from auralis_tui.api import ClientError
from auralis_tui.app.keys import PLAYLIST_KEYS, bindings
from auralis_tui.app.screens.dialogs import Confirm, NamePrompt
from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.panes import BrowsePane
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.format import duration_text, field_text


class PlaylistsScreen(ViewScreen):
    BINDINGS = bindings(PLAYLIST_KEYS)

    def content(self) -> ComposeResult:
        with Horizontal(id="playlist-view"):
            yield BrowsePane(id="playlists")
            yield TrackTable(self.client, self.catalog, id="playlist-tracks")

    def on_mount(self) -> None:
        super().on_mount()
        self.playlists = self.query_one("#playlists", BrowsePane)
        self.tracks = self.query_one("#playlist-tracks", TrackTable)
        self.playlists.border_title = "Playlists"
        self.tracks.border_title = "Tracks"
        self.names: dict[int, str] = {}

    def viewed(self) -> None:
        self.load_playlists()
        self.playlists.focus()

    @property
    def playlist_id(self) -> int | None:
        highlighted = self.playlists.highlighted
        if highlighted is None or not self.names:
            return None
        return int(self.playlists.get_option_at_index(highlighted).id or 0)

    def selection(self) -> list[int] | None:
        """The track under the cursor, or the whole playlist from the list."""
        if self.focused is self.tracks and self.tracks.selected_id is not None:
            return [self.tracks.selected_id]
        return list(self.tracks.track_ids) or None

    # -- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="playlists")
    async def load_playlists(self, select: int | None = None) -> None:
        try:
            playlists = await self.client.playlists()
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.names = {p["id"]: p["name"] for p in playlists}
        self.playlists.show(
            [
                (
                    f"{field_text(p['name'])} ({p['track_count']}, "
                    f"{duration_text(p.get('duration_s'))})",
                    str(p["id"]),
                )
                for p in playlists
            ]
        )
        if select is not None and select in self.names:
            self.playlists.highlighted = list(self.names).index(select)
        if not playlists:
            self.tracks.show([])
            self.tracks.border_title = "Tracks · no playlists yet: C creates one"

    @on(OptionList.OptionHighlighted, "#playlists")
    def playlist_highlighted(self) -> None:
        if self.playlist_id is not None:
            self.load_tracks(self.playlist_id)

    @work(exclusive=True, group="playlist-tracks")
    async def load_tracks(self, playlist_id: int) -> None:
        try:
            playlist = await self.client.playlist(playlist_id)
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.catalog.remember(playlist.get("tracks") or [])
        self.tracks.show(list(playlist["track_ids"]))
        self.tracks.border_title = Content(
            f"Tracks · {field_text(playlist['name'])} ({len(playlist['track_ids'])})"
        )

    # -- editing ----------------------------------------------------------------------------

    def action_create_playlist(self) -> None:
        self.app.push_screen(NamePrompt("New playlist's name"), self._create)

    def _create(self, name: str | None) -> None:
        if name:
            self._write(lambda: self.client.create_playlist(name, []), f"created “{name}”")

    def action_rename_playlist(self) -> None:
        playlist_id = self.playlist_id
        if playlist_id is not None:
            prompt = NamePrompt("Rename the playlist to", self.names[playlist_id])
            self.app.push_screen(prompt, lambda name: self._rename(playlist_id, name))

    def _rename(self, playlist_id: int, name: str | None) -> None:
        if name:
            self._write(
                lambda: self.client.update_playlist(playlist_id, name=name), f"renamed to “{name}”"
            )

    def action_delete_playlist(self) -> None:
        playlist_id = self.playlist_id
        if playlist_id is not None:
            question = Confirm(f"Delete the playlist “{self.names[playlist_id]}”?")
            self.app.push_screen(question, lambda yes: self._delete(playlist_id, yes))

    def _delete(self, playlist_id: int, yes: bool | None) -> None:
        if yes:
            self._write(lambda: self.client.delete_playlist(playlist_id), "deleted")

    @work(group="playlist-writes")
    async def _write(self, call: Callable[[], Awaitable[Any]], done: str) -> None:
        """One change on the server, then the list again (a clash, e.g. a taken name, is
        the server's one line)."""
        try:
            answer = await call()
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(done, timeout=2, markup=False)
        self.load_playlists(select=answer.get("id") if isinstance(answer, dict) else None)
