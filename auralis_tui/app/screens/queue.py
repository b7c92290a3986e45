"""The queue view: what the session will play, the playing entry marked ▶, and its editing keys.

Its table draws each row from the catalog when painted, so the fingerprint column shows the
status the server last reported, whether the view was showing when the event came or not.
Edits are the session's (``delete``, ``move``, ``clear``): the player applies them to what
it has buffered, and the play state on the server follows at its next tick.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.message import Message

from auralis_tui.app.keys import QUEUE_KEYS, bindings
from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.now_playing import REFRESH_S, NowPlayingBar
from auralis_tui.app.widgets.track_table import TrackTable


class QueueEdited(Message):
    """The queue changed by a key: the play state is written now, not at the next tick."""


class QueueScreen(ViewScreen):
    BINDINGS = bindings(QUEUE_KEYS)

    _shown: tuple[tuple[int, ...], int | None] | None = None  # (queue, playing entry) on show

    def content(self) -> ComposeResult:
        yield TrackTable(self.client, self.catalog, id="queue")

    def on_mount(self) -> None:
        super().on_mount()
        self.table = self.query_one(TrackTable)
        self.table.border_title = "Queue"
        # Edits reach the player's queue as commands, applied between its awaits: the view
        # follows the queue itself, whoever changed it (a key, `E` elsewhere, `auralis ctl`).
        self.set_interval(REFRESH_S, self._follow_queue)

    def _follow_queue(self) -> None:
        if self.is_current:
            self.show_queue()

    def viewed(self) -> None:
        self.show_queue(force=True)
        self.table.focus()

    def selection(self) -> list[int] | None:
        selected = self.table.selected_id
        return None if selected is None else [selected]

    @on(NowPlayingBar.TrackChanged)
    def playing_entry_changed(self) -> None:
        self.show_queue()

    def show_queue(self, force: bool = False) -> None:
        index = self.session.status().queue_index
        shown = (tuple(self.session.queue), index)
        if force or shown != self._shown:
            self._shown = shown
            self.table.show(self.session.queue, marker_index=index)

    # -- editing ----------------------------------------------------------------------------

    def _edited(self, cursor_row: int | None = None) -> None:
        if cursor_row is not None:
            self.table.move_cursor(row=cursor_row)
        self.app.post_message(QueueEdited())

    def action_delete_entry(self) -> None:
        if self.table.track_ids:
            self.session.delete(self.table.cursor_row)
            self._edited()

    def action_move_entry(self, delta: int) -> None:
        if self.table.track_ids:
            self._edited(self.session.move(self.table.cursor_row, delta))

    def action_clear_queue(self) -> None:
        self.session.clear()
        self._edited()

    def action_jump_to_playing(self) -> None:
        index = self.session.status().queue_index
        if index is not None:
            self.table.move_cursor(row=index)

    def play_next_selected(self) -> None:
        """``E`` here: the selected entry moves to play right after the playing one."""
        playing = self.session.status().queue_index
        row = self.table.cursor_row
        if playing is None or not self.table.track_ids or row == playing:
            return
        target = playing + 1 if row > playing else playing
        self._edited(self.session.move(row, target - row))
