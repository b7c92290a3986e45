"""A table of tracks with vi-style keys; tags go in as ``Text``, so they are never markup."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from auralis_tui.app.keys import NAVIGATION_KEYS, bindings
from auralis_tui.format import duration_text, fingerprint_mark, tag_text, track_title


class TrackTable(DataTable[Any], inherit_bindings=False):
    """Tracks, one per row, keyed by their position in ``self.track_ids``."""

    BINDINGS = bindings(NAVIGATION_KEYS)
    COLUMNS = (("#", 3), ("Title", 30), ("Time", 5), ("FP", 2), ("Artist", 20), ("Album", 20))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.track_ids: list[int] = []

    def on_mount(self) -> None:
        for column, width in self.COLUMNS:
            self.add_column(column, key=column, width=width)

    def show(self, tracks: list[dict[str, Any]], marker_index: int | None = None) -> None:
        """Replace the rows; the row at ``marker_index`` gets a ▶ (the queue's playing entry)."""
        keep = self.cursor_row
        self.clear()
        self.track_ids = [track["id"] for track in tracks]
        for position, track in enumerate(tracks):
            number = "▶" if position == marker_index else str(track.get("track_no") or "")
            self.add_row(
                number,
                Text(track_title(track)),
                duration_text(track.get("duration_seconds")),
                fingerprint_mark(track.get("fingerprint_status")),
                Text(tag_text(track, "artist")),
                Text(tag_text(track, "album")),
                key=str(position),
            )
        if tracks:
            self.move_cursor(row=min(keep, len(tracks) - 1))

    def set_fingerprint_status(self, track_id: int, status: str) -> None:
        for position, row_id in enumerate(self.track_ids):
            if row_id == track_id:
                self.update_cell(str(position), "FP", fingerprint_mark(status))

    @property
    def selected_id(self) -> int | None:
        if not self.track_ids:
            return None
        return self.track_ids[min(self.cursor_row, len(self.track_ids) - 1)]

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))

    def action_page_down(self) -> None:
        self.move_cursor(row=min(self.row_count - 1, self.cursor_row + self._page_rows()))

    def action_page_up(self) -> None:
        self.move_cursor(row=max(0, self.cursor_row - self._page_rows()))

    def _page_rows(self) -> int:
        return max(1, self.size.height - 2)
