"""The queue view: what the session will play, the playing entry marked ▶.

Its table draws each row from the catalog when painted, so the fingerprint column shows the
status the server last reported, whether the view was showing when the event came or not.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult

from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.now_playing import NowPlayingBar
from auralis_tui.app.widgets.track_table import TrackTable


class QueueScreen(ViewScreen):
    _shown: tuple[int, int | None] | None = None  # (queue length, playing entry) on show

    def content(self) -> ComposeResult:
        yield TrackTable(self.client, self.catalog, id="queue")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(TrackTable).border_title = "Queue"

    def viewed(self) -> None:
        self.show_queue(force=True)
        self.query_one(TrackTable).focus()

    @on(NowPlayingBar.TrackChanged)
    def playing_entry_changed(self) -> None:
        self.show_queue()

    def show_queue(self, force: bool = False) -> None:
        index = self.session.status().queue_index
        shown = (len(self.session.queue), index)
        if force or shown != self._shown:
            self._shown = shown
            self.query_one(TrackTable).show(self.session.queue, marker_index=index)
