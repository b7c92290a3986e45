"""The playback engine through a real server, with the capture output in place of a sound card."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np

from auralis_server.audio.source import read_frames
from auralis_server.library.models import Track
from auralis_server.mastering import chain
from auralis_server.streaming.plan_source import inputs_from_samples
from auralis_tui.api import AuralisClient
from auralis_tui.engine.joiner import equal_power
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.player import Player
from auralis_tui.engine.types import PlaybackReport, PlaybackSettings
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library

TOLERANCE = 10 ** (-90 / 20)


def _render(path: Path, preset: str = "adaptive", intensity: float = 1.0) -> np.ndarray:
    track = Track.get(Track.path == str(path))
    decoded = read_frames(path, 0, track.total_frames).astype(np.float64)
    return chain.render(
        decoded,
        inputs_from_samples(decoded, track.sample_rate).plan(preset, intensity),
        track.sample_rate,
    )


def _play(
    server: LiveServer, ids: list[int], **options: object
) -> tuple[np.ndarray, PlaybackReport]:
    start_s = float(options.pop("start_s", 0.0))  # type: ignore[arg-type]
    output = CaptureOutput()

    async def run() -> PlaybackReport:
        async with AuralisClient(server.url) as client:
            report = await Player(client, output, **options).play(ids, start_s=start_s)  # type: ignore[arg-type]
        output.wait()
        return report

    report = asyncio.run(run())
    return output.samples, report


def _two_tracks(library: Library) -> tuple[Path, Path, list[int]]:
    from auralis_server.library.scanner import Scanner

    first, second = library.music / "a-first.wav", library.music / "b-second.wav"
    write_audio(first, 23.0, seed=21)
    write_audio(second, 12.0, seed=22)
    Scanner([library.music], workers=1).run()
    return first, second, [library.track_id(first.name), library.track_id(second.name)]


def test_a_whole_track_plays_as_the_servers_render(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    played, report = _play(
        server, [library.track_id("song.wav")], settings=PlaybackSettings("bright", 0.8)
    )
    expected = _render(library.music / "song.wav", "bright", 0.8)
    assert played.shape == expected.shape
    assert np.abs(played - expected).max() < TOLERANCE
    assert report.frames_played == len(expected)


def test_two_tracks_join_with_nothing_inserted(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    first, second, ids = _two_tracks(library)
    server = live_server(library.app())
    played, _ = _play(server, ids)
    expected = np.concatenate([_render(first), _render(second)])
    assert played.shape == expected.shape  # gapless: not one frame added
    assert np.abs(played - expected).max() < TOLERANCE


def test_crossfade_is_equal_power_of_the_configured_length(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    first, second, ids = _two_tracks(library)
    server = live_server(library.app())
    played, _ = _play(server, ids, crossfade_s=1.5)
    a, b = _render(first), _render(second)
    fade = round(1.5 * 44100)
    assert len(played) == len(a) + len(b) - fade
    np.testing.assert_allclose(played[: len(a) - fade], a[:-fade], atol=TOLERANCE)
    mixed = equal_power(a[-fade:].astype(np.float32), b[:fade].astype(np.float32))
    np.testing.assert_allclose(played[len(a) - fade : len(a)], mixed, atol=1e-6)
    np.testing.assert_allclose(played[len(a) :], b[fade:], atol=TOLERANCE)


def test_playing_from_an_offset_lands_on_that_frame(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    played, _ = _play(server, [library.track_id("song.wav")], start_s=12.3)
    expected = _render(library.music / "song.wav")
    start = round(12.3 * 44100)  # inside chunk 1, not on a chunk boundary
    assert played.shape == expected[start:].shape
    assert np.abs(played - expected[start:]).max() < TOLERANCE


def test_the_overlap_tails_kept_for_a_switch_hold_only_their_own_frames(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """The bench found the TUI's memory growing by whole chunks: each kept tail (a few
    thousand frames, for a later preset switch) was a view that kept its ~1.5 MB chunk alive."""
    server = live_server(library.app())
    _, _, ids = _two_tracks(library)
    output = CaptureOutput()

    async def run() -> list[np.ndarray]:
        async with AuralisClient(server.url) as client:
            player = Player(client, output)
            await player.play(ids)
            output.wait()
            return [
                tail
                for entry in player._timeline.entries  # what the player still holds
                for tail in entry.tails.values()
            ]

    tails = asyncio.run(run())
    assert tails  # the timeline still knows the last track's chunks
    for tail in tails:
        held_bytes = tail.nbytes if tail.base is None else np.asarray(tail.base).nbytes
        assert held_bytes == tail.nbytes
