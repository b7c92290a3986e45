"""Tags are text: brackets in a title, artist or album are shown as written, never as markup.

A tag holding ``[/x]`` used to crash the app on start (and on every later start, since the
library still held it); ``[b]…[/b]`` in a title rendered bold. The expectation is the tag
exactly as written to the file, read back from what each widget draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mutagen.flac import FLAC
from textual.widget import Widget

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import close_database, open_database
from auralis_server.library.scanner import Scanner
from auralis_tui.app.app import AuralisApp
from tests.conftest import LiveServer, write_audio
from tests.tui.test_app import bar_text, run_app, until

TITLE = "[b]Bold[/b] [red]"
ARTIST = "[/x] Closing Tag"
ALBUM = "[link=file:///etc]Album[/link] [@click=app.quit]"


def _serve_tagged(
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
    **tags: str,
) -> Iterator[LiveServer]:
    music = tmp_path / "music"
    song = music / "song.flac"
    write_audio(song, 12.0, subtype="PCM_16", seed=3)
    written = FLAC(song)
    written.update(tracknumber="1", **tags)
    written.save()
    settings = settings_for(music)
    open_database(None, settings.sqlite_path)
    Scanner([music], workers=1).run()
    yield live_server(create_app(settings))
    close_database()


@pytest.fixture
def bracket_server(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> Iterator[LiveServer]:
    yield from _serve_tagged(
        tmp_path, settings_for, live_server, title=TITLE, artist=ARTIST, album=ALBUM
    )


@pytest.fixture
def broken_lines_server(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> Iterator[LiveServer]:
    yield from _serve_tagged(
        tmp_path,
        settings_for,
        live_server,
        title="Ti\ttle",
        artist="Line\nBreak",
        album="Alb\tum\nnew",
    )


def drawn(widget: Widget) -> str:
    """The text a line-API widget (option list, table) draws, line by line."""
    lines = (widget.render_line(y).text for y in range(widget.size.height))  # type: ignore[attr-defined]
    return "\n".join(lines)


def styled_as_one(widget: Widget, text: str) -> bool:
    """``text`` is drawn in one segment: one style throughout, no markup made part of it bold."""
    segments = (
        segment.text for y in range(widget.size.height) for segment in widget.render_line(y)
    )  # type: ignore[attr-defined]
    return any(text in segment for segment in segments)


def test_brackets_in_tags_are_shown_as_written_everywhere(bracket_server: LiveServer) -> None:
    async def script(app: AuralisApp, pilot: object) -> None:
        artists = app.query_one("#artists")
        await until(lambda: ARTIST in drawn(artists), "the artist as written")
        albums = app.query_one("#albums")
        await until(lambda: ALBUM[:20] in drawn(albums), "the album as written")
        tracks = app.query_one("#tracks")
        await until(lambda: TITLE[:12] in drawn(tracks), "the title as written")
        assert styled_as_one(tracks, TITLE)
        await pilot.press("tab", "tab", "enter")  # type: ignore[attr-defined]
        await until(lambda: TITLE in bar_text(app) and ARTIST in bar_text(app), "the bar")
        await pilot.press("2")  # type: ignore[attr-defined]
        await until(lambda: bool(app.screen.query("#queue")), "the queue view")
        queue = app.screen.query_one("#queue")
        await until(lambda: TITLE[:12] in drawn(queue), "the queue")
        assert styled_as_one(queue, TITLE)
        await pilot.press("3")  # type: ignore[attr-defined]
        await until(lambda: bool(app.screen.query("#info")), "the info view")
        info = app.screen.query_one("#info")
        await until(lambda: f"{TITLE}\n" in str(info.render()), "the track info")
        assert app.is_running  # [@click=app.quit] in a tag is not an action either

    run_app(bracket_server.url, script)


def test_tabs_and_line_breaks_in_tags_keep_every_row_and_the_bar_on_their_lines(
    broken_lines_server: LiveServer,
) -> None:
    async def script(app: AuralisApp, pilot: object) -> None:
        await until(lambda: "Line Break" in drawn(app.query_one("#artists")), "the artist")
        await until(lambda: "Alb um new" in drawn(app.query_one("#albums")), "the album")
        await until(lambda: "Ti tle" in drawn(app.query_one("#tracks")), "the title")
        await pilot.press("tab", "tab", "enter")  # type: ignore[attr-defined]
        await until(lambda: "Ti tle" in bar_text(app), "the bar")
        first, *rest = bar_text(app).splitlines()
        assert "Line Break — Alb um new" in first  # the whole now-playing line on one line
        assert any(line.startswith("vol ") for line in rest)  # the status line still shows

    run_app(broken_lines_server.url, script)
