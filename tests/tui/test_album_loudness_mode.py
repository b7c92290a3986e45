"""The client's side of album mode: it asks for ``loudness=album`` only while the queue plays
an album in order (MPD's replaygain ``auto``), and the now-playing bar names the mode."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
import pytest

from auralis_tui.api import AuralisClient, StreamRequest, _stream_params
from auralis_tui.app.widgets.now_playing import render_bar
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.play_order import PlayMode
from auralis_tui.engine.player import Player, in_album_order
from auralis_tui.engine.session import Status
from auralis_tui.engine.timeline import FedTrack, geometry_of
from auralis_tui.engine.types import PlaybackSettings
from shared.wire import FrameReader
from tests.tui.conftest import TuiLibrary

TOLERANCE = 10 ** (-90 / 20)


def _track(album: str | None, number: int | None, disc: int | None = None) -> dict[str, Any]:
    return {"album": album, "track_no": number, "disc_no": disc}


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (_track("A", 1), _track("A", 2), True),
        (_track("A", 3), _track("A", 7), True),  # a gap in the numbers is still in order
        (_track("A", 9, disc=1), _track("A", 1, disc=2), True),
        (_track("A", 2), _track("A", 1), False),
        (_track("A", 1), _track("B", 2), False),
        (_track(None, 1), _track(None, 2), False),  # untagged tracks are no album
        (_track("A", None), _track("A", 2), False),
        (_track("A", 1), None, False),
    ],
)
def test_in_album_order(first: dict, second: dict | None, expected: bool) -> None:
    assert in_album_order(first, second) is expected


def test_the_stream_request_carries_the_mode_and_defaults_to_auto() -> None:
    assert _stream_params(StreamRequest(1))["loudness"] == "auto"
    assert _stream_params(StreamRequest(1, loudness="album"))["loudness"] == "album"


def _modes(library: TuiLibrary, titles: list[str], shuffle: str = "off") -> list[str]:
    """The mode the player asks for at each queue entry (metadata fetched from the server)."""
    return asyncio.run(_ask(library, titles, shuffle))


async def _ask(library: TuiLibrary, titles: list[str], shuffle: str) -> list[str]:
    listing = library.get("/api/tracks", limit=100)["tracks"]
    by_title = {track["title"]: track for track in listing}
    async with AuralisClient(library.server.url) as client:
        player = Player(client, None, mode=PlayMode(shuffle=shuffle))  # type: ignore[arg-type]
        player.queue = [by_title[title]["id"] for title in titles]
        modes = []
        for index, title in enumerate(titles):
            geometry = geometry_of(by_title[title])
            assert geometry is not None
            modes.append(
                await player._loudness_mode(FedTrack(index, player.queue[index], geometry, 0))
            )
        return modes


def _demo_album(library: TuiLibrary) -> list[dict[str, Any]]:
    """The demo album's tracks in track order."""
    listing = library.get("/api/tracks", limit=100)["tracks"]
    demo = [t for t in listing if t["album"] and t["album"] != "B Sides"]
    return sorted(demo, key=lambda t: t["track_no"])


def test_an_album_in_order_plays_in_album_mode_and_anything_else_in_track_mode(
    tui_library: TuiLibrary,
) -> None:
    demo = _demo_album(tui_library)
    album = [track["title"] for track in demo]
    assert len(album) >= 4
    assert _modes(tui_library, album) == ["album"] * len(album)
    assert _modes(tui_library, album[::-1]) == ["track"] * len(album)
    assert _modes(tui_library, album, shuffle="tracks") == ["track"] * len(album)
    # a lone track between two runs of the album: each run in order stays album, it is track
    mixed = [*album[:2], "Lone Track", *album[2:]]
    assert _modes(tui_library, mixed) == ["album", "album", "track"] + ["album"] * (len(album) - 2)
    assert _modes(tui_library, [album[0]]) == ["track"]  # one track is no album run


def test_the_bar_names_the_loudness_mode() -> None:
    settings = PlaybackSettings()
    for mode in ("album", "track"):
        status = Status(
            "playing", 1, 0, 1.0, 1.0, "adaptive", 1.0, settings, 1.0, 0, 0, None, loudness=mode
        )
        track = {"id": 1, "title": "T", "artist": "A", "album": "B", "duration": 10.0}
        assert f"adaptive 1.0 {mode}" in render_bar(status, track, None, "complete", 200).plain


def _rendered(library: TuiLibrary, track_id: int, loudness: str) -> np.ndarray:
    response = httpx.get(
        f"{library.server.url}/api/tracks/{track_id}/stream",
        params={"loudness": loudness},
        timeout=60,
    )
    return np.concatenate([frame.core for frame in FrameReader().feed(response.content)])


def test_playing_an_album_in_order_sounds_as_the_servers_album_render(
    tui_library: TuiLibrary,
) -> None:
    demo = _demo_album(tui_library)
    ids = [demo[0]["id"], demo[1]["id"]]
    output = CaptureOutput()

    async def run() -> None:
        async with AuralisClient(tui_library.server.url) as client:
            await Player(client, output).play(ids)
        output.wait()

    asyncio.run(run())
    album = np.concatenate([_rendered(tui_library, i, "album") for i in ids])
    track = np.concatenate([_rendered(tui_library, i, "track") for i in ids])
    assert output.samples.shape == album.shape
    assert np.abs(output.samples - album).max() < TOLERANCE
    assert np.abs(output.samples - track).max() > 1e-3  # the modes really differ here
