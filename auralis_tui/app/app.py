"""The Textual app: the keys that work everywhere, the server's events, and the views.

Each view is a mode (``1`` library, ``2`` queue, ``3`` track info, ``4`` playlists) with its
own screen; playback lives in ``Session`` (no Textual there). The app follows the server's
event stream and publishes what it hears as reactive state the screens watch, and keeps the
server's play state (``PlayStateSync``): resumed on start, written as the listener goes.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from textual import on, work
from textual.app import App
from textual.reactive import var

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.app.catalog import Catalog
from auralis_tui.app.keys import APP_KEYS, bindings
from auralis_tui.app.screens.dialogs import PlaylistPicker
from auralis_tui.app.screens.help import HelpScreen
from auralis_tui.app.screens.library import LibraryScreen
from auralis_tui.app.screens.playlists import PlaylistsScreen
from auralis_tui.app.screens.queue import QueueEdited, QueueScreen
from auralis_tui.app.screens.track_info import TrackInfoScreen
from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.now_playing import NowPlayingBar
from auralis_tui.app.widgets.panes import NavOptionList
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.engine.session import Session
from auralis_tui.playstate import PlayStateSync, resume
from auralis_tui.remote.server import serving

EVENTS_RETRY_S = 2.0
PLAY_STATE_TICK_S = 1.0  # plays counted and queue changes written within this
QUIT_SAVE_TIMEOUT_S = 3.0  # quitting waits this long at most for the server to take the state
MODE_CONTROLS = ("cycle_shuffle", "toggle_repeat", "toggle_repeat_one", "toggle_mute")
_NOT_YET = object()
VIEWS = {
    "library": LibraryScreen,
    "queue": QueueScreen,
    "info": TrackInfoScreen,
    "playlists": PlaylistsScreen,
}


class AuralisApp(App[None]):
    CSS_PATH = "auralis.tcss"
    TITLE = "Auralis"
    DEFAULT_MODE = "library"
    BINDINGS = bindings(APP_KEYS)

    fingerprint_update: var[tuple[int, str] | None] = var(None)  # (track id, status), latest
    finished_scan: var[object] = var(_NOT_YET)  # started_at of the last finished scan heard

    def __init__(
        self,
        client: AuralisClient,
        session: Session,
        *,
        remote_control: bool = False,
        resume: bool = False,
        play_state: PlayStateSync | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.session = session
        self.remote_control = remote_control  # serve `auralis ctl` (the real player, not tests)
        self.resume = resume  # start paused where the server's play state left off
        self.play_state = play_state or PlayStateSync(client, session)
        self._syncing = asyncio.Lock()
        self.catalog = Catalog()
        for name, screen in VIEWS.items():
            self.add_mode(name, partial(screen, client, session, self.catalog))

    def on_mount(self) -> None:
        self.follow_events()
        if self.remote_control:
            self.serve_remote()
        self.start_play_state()

    # -- the play state on the server -------------------------------------------------------

    @work(group="playstate-start")
    async def start_play_state(self) -> None:
        """Resume first, then write: a tick before the resume would store an empty queue."""
        if self.resume and await resume(self.client, self.session, self.play_state):
            self.start_playing()
        self.set_interval(PLAY_STATE_TICK_S, self.sync_play_state)

    @work(group="playstate")
    async def sync_play_state(self) -> None:
        if self._syncing.locked():
            return  # the last tick still waits on the server: it has the newest state anyway
        async with self._syncing:
            await self.play_state.tick()

    async def _save_play_state(self) -> None:
        async with self._syncing:  # after a tick in flight, so the last word is the newest
            await self.play_state.flush()

    @on(QueueEdited)
    def queue_edited(self) -> None:
        self.sync_play_state()

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

    def _selection(self) -> list[int] | None:
        screen = self.screen
        return screen.selection() if isinstance(screen, ViewScreen) else None

    def action_enqueue(self, next_up: bool = False) -> None:
        """``e``: the selection to the queue's end; ``E`` (``next_up``): right after the
        playing track (in the queue view, ``E`` moves the selected entry there)."""
        if next_up and isinstance(self.screen, QueueScreen):
            self.screen.play_next_selected()
            return
        ids = self._selection()
        if ids:
            (self.session.play_next if next_up else self.session.enqueue)(ids)
            self.notify(f"{_tracks(ids)} {'to play next' if next_up else 'queued'}", timeout=2)
            self.sync_play_state()

    def action_add_to_playlist(self) -> None:
        ids = self._selection()
        if ids:
            self.pick_playlist(ids)

    @work(group="playlist-add")
    async def pick_playlist(self, track_ids: list[int]) -> None:
        """Ask which playlist, then append the tracks to it on the server."""
        try:
            playlists = await self.client.playlists()
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if not playlists:
            self.notify("no playlists yet: 4, then C creates one", severity="warning")
            return
        choices = [(p["id"], p["name"]) for p in playlists]
        playlist_id = await self.push_screen_wait(PlaylistPicker(choices))
        if playlist_id is None:
            return
        try:
            playlist = await self.client.playlist(playlist_id)
            await self.client.update_playlist(
                playlist_id, track_ids=[*playlist["track_ids"], *track_ids]
            )
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"added {_tracks(track_ids)} to “{playlist['name']}”", timeout=2, markup=False)

    def action_mode(self, control: str) -> None:
        """A play-mode toggle of the session (shuffle, repeat, repeat one, mute), by name."""
        if control in MODE_CONTROLS:
            getattr(self.session, control)()
            self._show_status()

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
        """Save where the listener is (briefly: a server that is down does not hold us)."""
        self.workers.cancel_group(self, "playstate-start")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._save_play_state(), QUIT_SAVE_TIMEOUT_S)
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


def _tracks(ids: list[int]) -> str:
    return f"{len(ids)} track{'s' * (len(ids) != 1)}"
