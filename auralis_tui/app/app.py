"""The Textual app: library panes, search, queue, track info and the now-playing bar.

Playback lives in ``Session`` (no Textual there); this module maps keys to it, loads the
library through workers and repaints the bar a few times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ContentSwitcher, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from auralis_tui.api import AuralisClient, ClientError, StreamRequest
from auralis_tui.app.help import HelpScreen
from auralis_tui.app.keys import APP_KEYS, bindings
from auralis_tui.app.lists import NavOptionList, TrackTable
from auralis_tui.app.now_playing import NowPlayingBar, eq_text, plan_text
from auralis_tui.engine.session import Session
from shared.dimensions import DIMENSION_NAMES

ALL = "\x00all"  # the option id of "every artist" / "every album"
UNTAGGED = "\x00untagged"  # the option id of tracks without the tag (browsed as "all")
REFRESH_S = 0.2
SEARCH_DEBOUNCE_S = 0.15
PREPARE_AFTER_S = 0.3
EVENTS_RETRY_S = 2.0


_NOT_YET = object()


def _replace_options(pane: OptionList, options: list[Option]) -> None:
    """New options; the highlight stays on the same entry when it is still there."""
    highlighted = pane.highlighted
    keep = pane.get_option_at_index(highlighted).id if highlighted is not None else None
    ids = [option.id for option in options]
    pane.set_options(options)
    pane.highlighted = ids.index(keep) if keep in ids else 0


class SearchInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "app.close_search", "back")]


class AuralisApp(App[None]):
    CSS_PATH = "auralis.tcss"
    TITLE = "Auralis"
    BINDINGS = bindings(APP_KEYS)

    def __init__(self, client: AuralisClient, session: Session) -> None:
        super().__init__()
        self.client = client
        self.session = session
        self.known_tracks: dict[int, dict[str, Any]] = {}
        self.fingerprint_status: dict[int, str] = {}
        self.plan: dict[str, Any] | None = None
        self._plan_key: tuple[int, str, float] | None = None
        self._browse: dict[str, str] = {"artist": ALL, "album": ALL}  # the panes' selection
        self._queue_shown: tuple[int, int | None] | None = None
        self._scan_seen: object = _NOT_YET  # started_at of the last finished scan seen

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="library", id="views"):
            with Horizontal(id="library"):
                yield NavOptionList(id="artists")
                yield NavOptionList(id="albums")
                yield TrackTable(id="tracks")
            yield TrackTable(id="queue")
            with VerticalScroll(id="info-scroll"):
                yield Static("", id="info")
        yield SearchInput(placeholder="search title, artist, album, path", id="search")
        yield NowPlayingBar(id="now-playing")
        yield Footer()

    def on_mount(self) -> None:
        # Kept, not queried: while help is open, queries would search the help screen.
        self.artists = self.query_one("#artists", OptionList)
        self.albums = self.query_one("#albums", OptionList)
        self.tracks = self.query_one("#tracks", TrackTable)
        self.queue_table = self.query_one("#queue", TrackTable)
        self.info = self.query_one("#info", Static)
        self.search = self.query_one("#search", Input)
        self.views = self.query_one("#views", ContentSwitcher)
        self.bar = self.query_one(NowPlayingBar)
        self.artists.border_title = "Artists"
        self.albums.border_title = "Albums"
        self.tracks.border_title = "Tracks"
        self.queue_table.border_title = "Queue"
        self.query_one("#info-scroll").border_title = "Track"
        self.artists.focus()
        self.load_artists()
        self.follow_events()
        self.set_interval(REFRESH_S, self.refresh_now_playing)
        self.refresh_now_playing()

    # -- loading the library ----------------------------------------------------------------

    @work(exclusive=True, group="artists")
    async def load_artists(self) -> None:
        try:
            artists = await self.client.get_json("/api/artists")
        except ClientError as exc:
            self.notify(str(exc), severity="error")
            return
        options = [Option(f"All artists ({sum(a['tracks'] for a in artists['artists'])})", ALL)]
        options += [
            Option(artist["name"] or "(no artist)", artist["name"] or UNTAGGED)
            for artist in artists["artists"]
        ]
        pane = self.artists
        _replace_options(pane, options)

    @on(OptionList.OptionHighlighted, "#artists")
    def artist_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._browse = {"artist": event.option.id or ALL, "album": ALL}
        self.load_albums()

    def _browse_params(self, *tags: str) -> dict[str, str | None]:
        """API filters for the selected artist (and album): a name, or a missing tag."""
        chosen = {tag: self._browse[tag] for tag in tags}
        params: dict[str, str | None] = {
            tag: value for tag, value in chosen.items() if value not in (ALL, UNTAGGED)
        }
        params["missing"] = ",".join(t for t, v in chosen.items() if v == UNTAGGED) or None
        return params

    @work(exclusive=True, group="albums")
    async def load_albums(self) -> None:
        try:
            body = await self.client.get_json("/api/albums", **self._browse_params("artist"))
        except ClientError as exc:
            self.notify(str(exc), severity="error")
            return
        options = [Option(f"All albums ({sum(a['tracks'] for a in body['albums'])})", ALL)]
        for album in body["albums"]:
            year = f" ({album['year']})" if album.get("year") else ""
            options.append(
                Option(f"{album['name'] or '(no album)'}{year}", album["name"] or UNTAGGED)
            )
        pane = self.albums
        _replace_options(pane, options)

    @on(OptionList.OptionHighlighted, "#albums")
    def album_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._browse["album"] = event.option.id or ALL
        self.load_tracks()

    @work(exclusive=True, group="tracks")
    async def load_tracks(self) -> None:
        await self._load_browsed()

    async def _load_browsed(self) -> None:
        params = self._browse_params("artist", "album")
        try:
            body = await self.client.get_json("/api/tracks", limit=1000, sort="artist", **params)
        except ClientError as exc:
            self.notify(str(exc), severity="error")
            return
        self._show_tracks(body, params.get("album") or params.get("artist") or "all")

    def _show_tracks(self, body: dict[str, Any], title: str) -> None:
        tracks = body["tracks"]
        for track in tracks:
            self.known_tracks[track["id"]] = track
            self.fingerprint_status.setdefault(track["id"], track["fingerprint_status"])
            track["fingerprint_status"] = self.fingerprint_status[track["id"]]
        table = self.tracks
        table.show(tracks)
        shown = f"{len(tracks)} of {body['total']}" if body["total"] > len(tracks) else len(tracks)
        table.border_title = f"Tracks · {title} ({shown})"

    @on(TrackTable.RowHighlighted, "#tracks")
    def track_highlighted(self, event: TrackTable.RowHighlighted) -> None:
        track_id = self.tracks.selected_id
        if track_id is not None:
            self.prepare_track(track_id)

    @work(exclusive=True, group="prepare")
    async def prepare_track(self, track_id: int) -> None:
        """A track the cursor rests on is likely next: have its first chunk rendered."""
        await asyncio.sleep(PREPARE_AFTER_S)  # moving on cancels this
        settings = self.session.settings
        with contextlib.suppress(ClientError):
            await self.client.prepare(
                StreamRequest(track_id, 0, 0, settings.preset, settings.intensity)
            )

    # -- search -----------------------------------------------------------------------------

    def action_search(self) -> None:
        self.action_view("library")
        search = self.search
        search.add_class("open")
        search.focus()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @work(exclusive=True, group="tracks")
    async def run_search(self, query: str) -> None:
        await asyncio.sleep(SEARCH_DEBOUNCE_S)  # a newer keystroke cancels this one
        if not query.strip():
            await self._load_browsed()
            return
        try:
            body = await self.client.get_json("/api/tracks", q=query, limit=1000)
        except ClientError as exc:
            self.notify(str(exc), severity="error")
            return
        self._show_tracks(body, f"search “{query}”")

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.tracks.focus()

    def action_close_search(self) -> None:
        search = self.search
        search.remove_class("open")
        if search.value:
            search.value = ""  # Changed reloads the browsed album
        self.tracks.focus()

    # -- playing ----------------------------------------------------------------------------

    def action_play(self) -> None:
        focused = self.focused
        if focused is self.artists:
            self.albums.focus()
        elif focused is self.albums:
            self.tracks.focus()
        elif isinstance(focused, TrackTable) and focused.track_ids:
            queue = list(focused.track_ids)
            self.start_playing(queue, min(focused.cursor_row, len(queue) - 1))

    @work(exclusive=True, group="playback")
    async def start_playing(self, queue: list[int], index: int) -> None:
        await self.session.play(queue, index)

    def action_enqueue(self) -> None:
        focused = self.focused
        if isinstance(focused, TrackTable) and focused.id == "tracks" and focused.selected_id:
            ids = [focused.selected_id]
        elif focused in (self.artists, self.albums):
            ids = list(self.tracks.track_ids)
        else:
            return
        self.session.enqueue(ids)
        self.notify(f"queued {len(ids)} track{'s' * (len(ids) != 1)}", timeout=2)
        self._refresh_queue(force=True)

    def action_toggle_pause(self) -> None:
        self.session.toggle_pause()
        self.refresh_now_playing()

    def action_skip(self, step: int) -> None:
        self.session.skip(step)

    async def action_seek(self, delta_s: float) -> None:
        await self.session.seek_by(delta_s)

    def action_volume(self, step: float) -> None:
        self.session.change_volume(step)
        self.refresh_now_playing()

    async def action_cycle_preset(self) -> None:
        await self.session.cycle_preset()
        self.refresh_now_playing()

    async def action_intensity(self, step: float) -> None:
        await self.session.change_intensity(step)
        self.refresh_now_playing()

    # -- views ------------------------------------------------------------------------------

    def action_view(self, name: str) -> None:
        self.views.current = "info-scroll" if name == "info" else name
        if name == "queue":
            self._refresh_queue(force=True)
            self.queue_table.focus()
        elif name == "info":
            self.load_info()
        else:
            self.tracks.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.workers.cancel_group(self, "playback")
        self.session._stop_output()
        self.exit()

    def _refresh_queue(self, force: bool = False) -> None:
        status = self.session.status()
        shown = (len(self.session.queue), status.queue_index)
        if not force and shown == self._queue_shown:
            return
        self._queue_shown = shown
        tracks = [
            self.known_tracks.get(track_id, {"id": track_id, "title": f"track {track_id}"})
            for track_id in self.session.queue
        ]
        self.queue_table.show(tracks, marker_index=status.queue_index)

    @work(exclusive=True, group="info")
    async def load_info(self) -> None:
        track_id = self.session.status().track_id
        if track_id is None:
            track_id = self.tracks.selected_id
        info = self.info
        if track_id is None:
            info.update("Nothing selected.")
            return
        settings = self.session.settings
        try:
            track = await self.client.track(track_id)
            fingerprint = await self.client.get_json(f"/api/tracks/{track_id}/fingerprint")
            plan = await self.client.plan(track_id, settings.preset, settings.intensity)
        except ClientError as exc:
            info.update(str(exc))
            return
        lines = [
            f"{track.get('title') or track['path']}",
            f"{track['path']}",
            f"{track['codec']} · {track['sample_rate_hz']} Hz · {track['channels']} ch",
            "",
            f"Mastering: {settings.preset} at {settings.intensity:.1f} — {plan_text(plan)}",
            f"  EQ {eq_text(plan)}",
            f"  gain {plan['makeup_db'] + plan['trim_db'] + plan['ceiling_trim_db']:+.1f} dB",
            "",
            f"Fingerprint: {fingerprint['status']} ({fingerprint.get('source') or '-'})",
        ]
        values = fingerprint.get("values") or {}
        lines += [
            f"  {name:<24} {values[name]:10.4f}" for name in DIMENSION_NAMES if name in values
        ]
        info.update("\n".join(lines))

    # -- live state -------------------------------------------------------------------------

    @work(group="events")
    async def follow_events(self) -> None:
        """Fingerprint status changes and finished scans, for as long as the app runs."""
        while True:
            with contextlib.suppress(ClientError):
                async for kind, data in self.client.events():
                    if kind == "fingerprint":
                        track_id, status = data["track_id"], data["status"]
                        self.fingerprint_status[track_id] = status
                        for table in (self.tracks, self.queue_table):
                            table.set_fingerprint_status(track_id, status)
                    elif kind == "scan" and data.get("state") == "finished":
                        if self._scan_seen != data.get("started_at"):
                            self.load_artists()  # a scan finished since the panes were filled
                        self._scan_seen = data.get("started_at")
            await asyncio.sleep(EVENTS_RETRY_S)

    def refresh_now_playing(self) -> None:
        status = self.session.status()
        track = self.known_tracks.get(status.track_id) if status.track_id is not None else None
        if status.track_id is not None:
            key = (status.track_id, status.preset, status.intensity)
            if key != self._plan_key:
                self._plan_key = key
                self.plan = None
                self.load_plan(*key)
        self.bar.show(
            status,
            track,
            self.plan,
            self.fingerprint_status.get(status.track_id) if status.track_id is not None else None,
        )
        self._refresh_queue()

    @work(exclusive=True, group="plan")
    async def load_plan(self, track_id: int, preset: str, intensity: float) -> None:
        try:
            plan = await self.client.plan(track_id, preset, intensity)
        except ClientError:
            self._plan_key = None  # try again on the next repaint
            return
        if self._plan_key == (track_id, preset, intensity):
            self.plan = plan
