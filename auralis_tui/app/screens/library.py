"""The library view: artists → albums → tracks, and search as you type.

The panes' selection is reactive: choosing an artist reloads the albums, choosing an album
reloads the tracks. A track the cursor rests on has its first chunk prepared, since it is
likely to be played next.
"""

from __future__ import annotations

import asyncio
import contextlib

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import var
from textual.widgets import Input, OptionList

from auralis_tui.api import ClientError, StreamRequest
from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.panes import BrowsePane
from auralis_tui.app.widgets.search import SearchBar
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.format import field_text

ALL = "\x00all"  # the option id of "every artist" / "every album"
UNTAGGED = "\x00untagged"  # the option id of tracks without the tag (browsed as "all")
SEARCH_DEBOUNCE_S = 0.1  # a newer keystroke within this cancels the search
PREPARE_AFTER_S = 0.3


class LibraryScreen(ViewScreen):
    # The panes' selection: a name, ALL or UNTAGGED; set again on a refill, so always_update.
    artist: var[str] = var(ALL, init=False, always_update=True)
    album: var[str] = var(ALL, init=False, always_update=True)

    def content(self) -> ComposeResult:
        with Horizontal(id="library"):
            yield BrowsePane(id="artists")
            yield BrowsePane(id="albums")
            yield TrackTable(self.client, self.catalog, id="tracks")
        yield SearchBar(placeholder="search title, artist, album, path", id="search")

    def on_mount(self) -> None:
        super().on_mount()
        self.artists = self.query_one("#artists", BrowsePane)
        self.albums = self.query_one("#albums", BrowsePane)
        self.tracks = self.query_one("#tracks", TrackTable)
        self.artists.border_title = "Artists"
        self.albums.border_title = "Albums"
        self.tracks.border_title = "Tracks"
        self.artists.focus()
        self.load_artists()
        self.watch(self.app, "finished_scan", lambda _: self.load_artists(), init=False)

    def viewed(self) -> None:
        self.tracks.focus()

    def open_search(self) -> None:
        self.query_one(SearchBar).open()

    def selection(self) -> list[int] | None:
        return self.enqueue_candidates()

    def enqueue_candidates(self) -> list[int] | None:
        """What ``e`` queues: the track under the cursor, or every track listed from a pane."""
        focused = self.focused
        if focused is self.tracks and self.tracks.selected_id:
            return [self.tracks.selected_id]
        if focused in (self.artists, self.albums):
            return list(self.tracks.track_ids)
        return None

    # -- browsing ---------------------------------------------------------------------------

    @work(exclusive=True, group="artists")
    async def load_artists(self) -> None:
        try:
            body = await self.client.get_json("/api/artists")
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        artists = body["artists"]
        entries = [(f"All artists ({sum(a['tracks'] for a in artists)})", ALL)]
        entries += [
            (field_text(a["name"] or "(no artist)"), a["name"] or UNTAGGED) for a in artists
        ]
        self.artists.show(entries)

    @on(OptionList.OptionHighlighted, "#artists")
    def artist_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.set_reactive(LibraryScreen.album, ALL)  # the albums pane sets it when it is filled
        self.artist = event.option.id or ALL

    def watch_artist(self) -> None:
        self.load_albums()

    @work(exclusive=True, group="albums")
    async def load_albums(self) -> None:
        try:
            body = await self.client.get_json("/api/albums", **self._browse_params("artist"))
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        albums = body["albums"]
        entries = [(f"All albums ({sum(a['tracks'] for a in albums)})", ALL)]
        for album in albums:
            year = f" ({album['year']})" if album.get("year") else ""
            label = field_text(f"{album['name'] or '(no album)'}{year}")
            entries.append((label, album["name"] or UNTAGGED))
        self.albums.show(entries)

    @on(OptionList.OptionHighlighted, "#albums")
    def album_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.album = event.option.id or ALL

    def watch_album(self) -> None:
        self.load_tracks()

    def _browse_params(self, *tags: str) -> dict[str, str | None]:
        """API filters for the selected artist (and album): a name, or a missing tag."""
        chosen = {tag: getattr(self, tag) for tag in tags}
        params: dict[str, str | None] = {
            tag: value for tag, value in chosen.items() if value not in (ALL, UNTAGGED)
        }
        params["missing"] = ",".join(t for t, v in chosen.items() if v == UNTAGGED) or None
        return params

    @work(exclusive=True, group="tracks")
    async def load_tracks(self) -> None:
        await self._load_browsed()

    async def _load_browsed(self) -> None:
        params = self._browse_params("artist", "album")
        try:
            ids = await self.client.track_ids(sort="artist", **params)
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._show_tracks(ids, params.get("album") or params.get("artist") or "all")

    def _show_tracks(self, ids: list[int], title: str) -> None:
        """Every listed id goes to the table, which fetches the rows it shows as it shows them."""
        self.tracks.show(ids)
        self.tracks.border_title = Content(
            f"Tracks · {field_text(title)} ({len(ids)})"
        )  # plain: tags, query

    @on(TrackTable.RowHighlighted, "#tracks")
    def track_highlighted(self) -> None:
        self.catalog.highlighted_id = track_id = self.tracks.selected_id
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
            ids = await self.client.track_ids(query, sort="artist")
        except ClientError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._show_tracks(ids, f"search “{query}”")

    @on(Input.Submitted, "#search")
    @on(SearchBar.Closed)
    def back_to_tracks(self) -> None:
        self.tracks.focus()
