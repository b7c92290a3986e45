"""The Textual app: the keys that work everywhere, the server's events, and the views.

Each view is a mode (``1`` library, ``2`` queue, ``3`` track info) with its own screen;
playback lives in ``Session`` (no Textual there). The app follows the server's event stream
and publishes what it hears as reactive state the screens watch.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from textual import work
from textual.app import App
from textual.reactive import var

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.app.catalog import Catalog
from auralis_tui.app.keys import APP_KEYS, bindings
from auralis_tui.app.screens.help import HelpScreen
from auralis_tui.app.screens.library import LibraryScreen
from auralis_tui.app.screens.queue import QueueScreen
from auralis_tui.app.screens.track_info import TrackInfoScreen
from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.now_playing import NowPlayingBar
from auralis_tui.app.widgets.panes import NavOptionList
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.engine.session import Session
from auralis_tui.remote.server import serving

EVENTS_RETRY_S = 2.0
_NOT_YET = object()
VIEWS = {"library": LibraryScreen, "queue": QueueScreen, "info": TrackInfoScreen}


class AuralisApp(App[None]):
    CSS_PATH = "auralis.tcss"
    TITLE = "Auralis"
    DEFAULT_MODE = "library"
    BINDINGS = bindings(APP_KEYS)

    fingerprint_update: var[tuple[int, str] | None] = var(None)  # (track id, status), latest
    finished_scan: var[object] = var(_NOT_YET)  # started_at of the last finished scan heard

    def __init__(
        self, client: AuralisClient, session: Session, *, remote_control: bool = False
    ) -> None:
        super().__init__()
        self.client = client
        self.session = session
        self.remote_control = remote_control  # serve `auralis ctl` (the real player, not tests)
        self.catalog = Catalog()
        for name, screen in VIEWS.items():
            self.add_mode(name, partial(screen, client, session, self.catalog))

    def on_mount(self) -> None:
        self.follow_events()
        if self.remote_control:
            self.serve_remote()

    @work(group="remote")
    async def serve_remote(self) -> None:
        """`auralis ctl` drives the session until the app exits (the socket goes with it)."""
        async with serving(self.session, lambda line: self.notify(line, severity="warning")):
            await asyncio.Event().wait()

    # -- playing ----------------------------------------------------------------------------

    def action_play(self) -> None:
        """Enter: a pane opens the next one; a track list plays from the cursor on."""
        focused = self.focused
        if isinstance(focused, NavOptionList):
            self.screen.focus_next()
        elif isinstance(focused, TrackTable) and focused.track_ids:
            queue = list(focused.track_ids)
            # Set up now: keys pressed before the worker runs go to this run's player.
            self.session.begin(queue, min(focused.cursor_row, len(queue) - 1))
            self.start_playing()

    @work(exclusive=True, group="playback")
    async def start_playing(self) -> None:
        await self.session.run()

    def action_enqueue(self) -> None:
        screen = self.screen
        ids = screen.enqueue_candidates() if isinstance(screen, LibraryScreen) else None
        if ids is not None:
            self.session.enqueue(ids)
            self.notify(f"queued {len(ids)} track{'s' * (len(ids) != 1)}", timeout=2)

    def action_toggle_pause(self) -> None:
        self.session.toggle_pause()
        self._show_status()

    def action_skip(self, step: int) -> None:
        self.session.skip(step)

    async def action_seek(self, delta_s: float) -> None:
        await self.session.seek_by(delta_s)

    def action_volume(self, step: float) -> None:
        self.session.change_volume(step)
        self._show_status()

    async def action_cycle_preset(self) -> None:
        await self.session.cycle_preset()
        self._show_status()

    async def action_intensity(self, step: float) -> None:
        await self.session.change_intensity(step)
        self._show_status()

    def _show_status(self) -> None:
        """A key changed the session: the bar shows it now rather than at its next tick."""
        for bar in self.screen.query(NowPlayingBar):
            bar.poll()

    # -- views ------------------------------------------------------------------------------

    async def action_view(self, name: str) -> None:
        await self.switch_mode(name)
        if isinstance(self.screen, ViewScreen):
            self.screen.viewed()

    async def action_search(self) -> None:
        await self.switch_mode("library")
        if isinstance(self.screen, LibraryScreen):
            self.screen.open_search()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.workers.cancel_group(self, "playback")
        self.session.stop_output()
        self.exit()

    # -- the server's events ----------------------------------------------------------------

    @work(group="events")
    async def follow_events(self) -> None:
        """Fingerprint status changes and finished scans, for as long as the app runs."""
        while True:
            with contextlib.suppress(ClientError):
                async for kind, data in self.client.events():
                    if kind == "fingerprint":
                        track_id, status = data["track_id"], data["status"]
                        self.catalog.set_fingerprint(track_id, status)
                        self.fingerprint_update = (track_id, status)
                    elif kind == "scan" and data.get("state") == "finished":
                        self.finished_scan = data.get("started_at")  # watchers see a change
            await asyncio.sleep(EVENTS_RETRY_S)
