"""What every view (mode) of the app shares: its content over the now-playing bar and keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from auralis_tui.api import AuralisClient
from auralis_tui.app.catalog import Catalog
from auralis_tui.app.widgets.now_playing import NowPlayingBar
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.engine.session import Session


class ViewScreen(Screen[None]):
    def __init__(self, client: AuralisClient, session: Session, catalog: Catalog) -> None:
        super().__init__()
        self.client = client
        self.session = session
        self.catalog = catalog

    def compose(self) -> ComposeResult:
        yield from self.content()
        yield NowPlayingBar(self.client, self.session, self.catalog)
        yield Footer()

    def content(self) -> ComposeResult:
        """The view's own widgets, above the bar."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.watch(self.app, "fingerprint_update", self._fingerprint_changed, init=False)

    def viewed(self) -> None:
        """The user asked for this view by its key (it may have been showing already)."""

    def selection(self) -> list[int] | None:
        """The track ids ``e``, ``E`` and ``a`` act on here (None: nothing to act on)."""
        return None

    def _fingerprint_changed(self, update: tuple[int, str] | None) -> None:
        if update is not None:
            for table in self.query(TrackTable):
                table.set_fingerprint_status(*update)
