"""A table of tracks that holds only their ids: rows are drawn from the catalog as they scroll
into view and fetched from the server a block at a time when it lacks them.

So a listing of 60 000 tracks costs one list of ints and the ~40 rows on screen, not 60 000
rows of widgets (a DataTable takes seconds to lay those out); ``G`` lands on the true last
track at once and its row arrives a moment later. Every cell is drawn from the catalog when
painted, so the fingerprint column follows the server's events in whichever view shows it.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from textual import events, work
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.app.catalog import Catalog
from auralis_tui.app.keys import NAVIGATION_KEYS, bindings
from auralis_tui.format import duration_text, fingerprint_mark, tag_text, track_title

log = logging.getLogger("auralis.tui")

FETCH_BLOCK_ROWS = 200  # rows fetched together: five screens, one small request
LOADING = "…"
CELL_PADDING = 1


class TrackTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Tracks, one per row; ``track_ids`` holds every id of the listing, rows come lazily."""

    BINDINGS = bindings(NAVIGATION_KEYS)
    COLUMNS = (("#", 3), ("Title", 30), ("Time", 5), ("FP", 2), ("Artist", 20), ("Album", 20))
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "track-table--header",
        "track-table--cursor",
        "track-table--even-row",
    }
    DEFAULT_CSS = """
    TrackTable {
        background: $surface;
        color: $foreground;
        & > .track-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .track-table--even-row { background: $surface-lighten-1 50%; }
        & > .track-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .track-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, init=False)

    class RowHighlighted(Message):
        """The cursor rests on another row (or the rows under it changed)."""

        def __init__(self, table: TrackTable, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row

        @property
        def control(self) -> TrackTable:
            return self.table

    def __init__(self, client: AuralisClient, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client
        self.catalog = catalog
        self.track_ids: list[int] = []
        self.marker_index: int | None = None  # the queue's playing entry, drawn with ▶
        self._listing = 0  # bumped by show(): a fetch for an older listing changes nothing
        self._fetching: set[int] = set()  # blocks asked for in this listing
        self._failed: set[int] = set()  # of those, blocks the server did not send
        self._gone: set[int] = set()  # ids the server no longer has
        self._line_width = sum(width + 2 * CELL_PADDING for _, width in self.COLUMNS)

    # -- contents ---------------------------------------------------------------------------

    def show(self, track_ids: list[int], marker_index: int | None = None) -> None:
        """Replace the listing; the cursor keeps its row number, as far as the list reaches."""
        self.track_ids = list(track_ids)
        self.marker_index = marker_index
        self._listing += 1
        self._fetching.clear()
        self._failed.clear()
        self._gone.clear()
        self.virtual_size = Size(self._line_width, len(self.track_ids) + 1)  # + the header
        row = min(self.cursor_row, max(0, len(self.track_ids) - 1))
        self.set_reactive(TrackTable.cursor_row, row)
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.RowHighlighted(self, row))

    @property
    def row_count(self) -> int:
        return len(self.track_ids)

    @property
    def selected_id(self) -> int | None:
        if not self.track_ids:
            return None
        return self.track_ids[min(self.cursor_row, len(self.track_ids) - 1)]

    def row_cells(self, position: int) -> tuple[str, ...]:
        """The row's cells as drawn: a row still being fetched shows its title as …."""
        track_id = self.track_ids[position]
        track = self.catalog.track(track_id)
        marker = "▶" if position == self.marker_index else None
        status = self.catalog.fingerprint(track_id)
        if track is None:
            self._want(position)
            title = f"(track {track_id} is gone)" if track_id in self._gone else LOADING
            return (marker or "", title, "", fingerprint_mark(status) if status else "", "", "")
        return (
            marker or str(track.get("track_no") or ""),
            track_title(track),
            duration_text(track.get("duration_seconds")),
            fingerprint_mark(status or track.get("fingerprint_status")),
            tag_text(track, "artist"),
            tag_text(track, "album"),
        )

    def set_fingerprint_status(self, track_id: int, status: str) -> None:
        """The catalog has the new status; redraw if the track is on screen."""
        first, last = self._visible_rows()
        if track_id in self.track_ids[first:last]:
            self.refresh()

    # -- fetching ---------------------------------------------------------------------------

    def _want(self, position: int) -> None:
        block = position // FETCH_BLOCK_ROWS
        if block in self._fetching:
            return
        self._fetching.add(block)
        ids = self.track_ids[block * FETCH_BLOCK_ROWS : (block + 1) * FETCH_BLOCK_ROWS]
        missing = [i for i in ids if self.catalog.track(i) is None and i not in self._gone]
        if missing:
            self._fetch(self._listing, block, missing)

    def _prefetch(self) -> None:
        """The rows around the screen too, so j/k and PgDn rarely meet a row still loading."""
        first, last = self._visible_rows()
        margin = FETCH_BLOCK_ROWS // 2
        for position in (max(0, first - margin), min(len(self.track_ids) - 1, last + margin)):
            if 0 <= position < len(self.track_ids):
                if self.catalog.track(self.track_ids[position]) is None:
                    self._want(position)

    @work(group="rows")
    async def _fetch(self, listing: int, block: int, track_ids: list[int]) -> None:
        try:
            tracks = await self.client.tracks_by_id(track_ids)
        except ClientError as exc:
            log.warning("rows %d+ not fetched: %s", block * FETCH_BLOCK_ROWS, exc)
            if listing == self._listing:
                self._failed.add(block)  # not asked again at every repaint; a key press will
            self.notify(str(exc), severity="error", markup=False)
            return
        self.catalog.remember(tracks)
        if listing == self._listing:
            self._gone.update(set(track_ids) - {track["id"] for track in tracks})
            self._fetching.discard(block)
        self.refresh()

    # -- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            cells: tuple[str, ...] = tuple(name for name, _ in self.COLUMNS)
            style = self.get_component_rich_style("track-table--header")
        else:
            position = scroll_y + y - 1
            if position >= len(self.track_ids):
                return Strip.blank(width, self.rich_style)
            cells = self.row_cells(position)
            if position == self.cursor_row:
                style = self.get_component_rich_style("track-table--cursor")
            elif position % 2:
                style = self.get_component_rich_style("track-table--even-row")
            else:
                style = self.rich_style
        pad = " " * CELL_PADDING
        text = "".join(
            pad + set_cell_size(cell, column_width) + pad
            for cell, (_, column_width) in zip(cells, self.COLUMNS, strict=True)
        )
        line = Strip([Segment(text, self.rich_style + style)], self._line_width)
        return line.crop_extend(scroll_x, scroll_x + width, self.rich_style + style)

    def _visible_rows(self) -> tuple[int, int]:
        first = int(self.scroll_offset.y)
        return first, min(len(self.track_ids), first + self._rows_on_screen())

    def _rows_on_screen(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # under the header

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._prefetch()

    # -- the cursor -------------------------------------------------------------------------

    def watch_cursor_row(self, old_row: int, row: int) -> None:
        self._fetching -= self._failed
        self._failed.clear()
        self._scroll_to_cursor()
        self.refresh()
        self._prefetch()
        self.post_message(self.RowHighlighted(self, row))

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self.track_ids) - 1))

    def _scroll_to_cursor(self) -> None:
        rows = self._rows_on_screen()
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + rows:
            self.scroll_to(y=self.cursor_row - rows + 1, animate=False)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            position = int(self.scroll_offset.y) + offset.y - 1
            if position < len(self.track_ids):
                self.move_cursor(row=position)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self.track_ids) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._rows_on_screen())

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._rows_on_screen())
