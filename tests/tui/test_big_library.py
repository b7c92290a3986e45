"""A library bigger than one API page in the TUI, `auralis ls` and the client: nothing stops
at a page, the table fetches only the rows it shows, and search folds case and accents."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import close_database, open_database
from auralis_server.library.queries import MAX_PAGE
from auralis_tui.api import AuralisClient
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.widgets.track_table import LOADING, TrackTable
from tests.conftest import LiveServer
from tests.server.library.big_library import insert_big_library
from tests.tui.cli_run import auralis
from tests.tui.test_app import option_prompts, run_app, until

COUNT = 2 * MAX_PAGE + 437
SPECIAL = [
    {"title": "Jóga", "artist": "Björk", "album": "Homogenic"},
    {"title": "Hoppípolla", "artist": "Sigur Rós", "album": "Ålbum"},
]
TITLE = [name for name, _ in TrackTable.COLUMNS].index("Title")


@dataclass
class Big:
    url: str
    total: int

    def get(self, **params: object) -> dict:  # type: ignore[type-arg]
        response = httpx.get(f"{self.url}/api/tracks", params=params)  # type: ignore[arg-type]
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def ids(self, **params: object) -> list[int]:
        return self.get(fields="id", limit=100_000, **params)["ids"]  # type: ignore[no-any-return]


@pytest.fixture
def big(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> Iterator[Big]:
    settings = settings_for(tmp_path / "music")
    open_database(None, settings.sqlite_path)
    insert_big_library(COUNT, SPECIAL)
    yield Big(live_server(create_app(settings)).url, COUNT + len(SPECIAL))
    close_database()


def test_the_panes_and_the_table_cover_the_whole_library_and_g_reaches_the_last(
    big: Big,
) -> None:
    every = big.ids(sort="artist")
    last = big.get(ids=str(every[-1]))["tracks"][0]

    async def script(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: tracks.track_ids == every, "every track listed")
        assert option_prompts(app, "#artists")[0] == f"All artists ({big.total})"
        await until(lambda: option_prompts(app, "#albums")[:1] == [f"All albums ({big.total})"],
                    "the albums pane")  # fmt: skip
        assert str(tracks.border_title).endswith(f"· all ({big.total})")
        await until(lambda: tracks.row_cells(0)[TITLE] != LOADING, "the first rows")
        await pilot.press("tab", "tab", "G")  # type: ignore[attr-defined]
        assert tracks.selected_id == every[-1]
        await until(lambda: tracks.row_cells(len(every) - 1)[TITLE] == last["title"], "its row")
        assert len(app.catalog) < MAX_PAGE  # only the rows shown (and around) were fetched
        await pilot.press("g")  # type: ignore[attr-defined]
        assert tracks.selected_id == every[0]

    run_app(big.url, script)


def test_search_finds_a_non_ascii_word_typed_in_another_case(big: Big) -> None:
    (bjork,) = big.ids(artist="Björk")
    (album,) = big.ids(album="Ålbum")

    async def script(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: len(tracks.track_ids) == big.total, "every track listed")
        await pilot.press("slash", *"BJÖRK")  # type: ignore[attr-defined]
        await until(lambda: tracks.track_ids == [bjork], "Björk")
        await until(lambda: tracks.row_cells(0)[TITLE] == "Jóga", "its row")
        await pilot.press("escape", "slash", *"album")  # type: ignore[attr-defined]
        await until(lambda: tracks.track_ids == [album], "the Ålbum track")
        await pilot.press("escape")  # type: ignore[attr-defined]
        await until(lambda: len(tracks.track_ids) == big.total, "the whole list again")

    run_app(big.url, script)


def test_the_queue_of_a_whole_library_shows_its_last_entry(big: Big) -> None:
    every = big.ids(sort="artist")
    last = big.get(ids=str(every[-1]))["tracks"][0]

    async def script(app: AuralisApp, pilot: object) -> None:
        tracks = app.query_one("#tracks", TrackTable)
        await until(lambda: tracks.track_ids == every, "every track listed")
        await pilot.press("e", "2", "G")  # type: ignore[attr-defined]  # from the artists pane
        queue = app.screen.query_one("#queue", TrackTable)
        assert queue.track_ids == every and queue.selected_id == every[-1]
        await until(lambda: queue.row_cells(len(every) - 1)[TITLE] == last["title"], "its row")

    run_app(big.url, script)


def test_ls_prints_every_track_of_a_library_bigger_than_a_page(big: Big) -> None:
    result = auralis("--server", big.url, "ls")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert [int(row.split("\t")[0]) for row in rows] == big.ids()  # the server's order
    found = auralis("--server", big.url, "ls", "SIGUR", "ros")
    assert [row.split("\t")[4] for row in found.stdout.splitlines()] == ["Hoppípolla"]


def test_the_client_follows_next_to_the_end(big: Big) -> None:
    async def fetch() -> tuple[list[int], list[int], int]:
        async with AuralisClient(big.url) as client:
            tracks = await client.tracks()
            ids = await client.track_ids(page_size=700)
            wanted = ids[: MAX_PAGE + 5]
            by_id = await client.tracks_by_id(wanted)
            return [t["id"] for t in tracks], ids, len({t["id"] for t in by_id} & set(wanted))

    tracks, ids, found = asyncio.run(fetch())
    assert tracks == ids == big.ids()
    assert found == MAX_PAGE + 5
