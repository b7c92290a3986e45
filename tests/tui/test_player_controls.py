"""Seek and preset switches while playing, through a real server, with the capture output."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import soundfile

from auralis_server.library.scanner import Scanner
from auralis_tui.api import AuralisClient
from auralis_tui.engine.commands import SeekTo, SetSettings, Skip
from auralis_tui.engine.joiner import equal_gain
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.player import Player
from auralis_tui.engine.types import PlaybackSettings
from tests.conftest import LiveServer
from tests.server.conftest import Library
from tests.tui.test_player import TOLERANCE, _render

RATE = 44100


def _low_only_track(library: Library) -> Path:
    """25 s of chords under 1 kHz: no energy above 12 kHz to begin with."""
    t = np.arange(25 * RATE) / RATE
    tone = sum(
        np.sin(2 * np.pi * f * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t))
        for f in (110, 220, 330, 495)
    )
    path = library.music / "low.wav"
    soundfile.write(path, np.stack([tone, tone * 0.9], axis=1) * 0.15, RATE, subtype="FLOAT")
    Scanner([library.music], workers=1).run()
    return path


def _play_with(
    server: LiveServer, track_id: int, when_frame: int, action: Callable[[Player], Awaitable[None]]
) -> np.ndarray:
    output = CaptureOutput()

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            player = Player(
                client, output, prefetch_chunks=2, settings=PlaybackSettings("adaptive", 1.0)
            )
            task = asyncio.create_task(player.play([track_id]))
            while (player.position_frame or 0) < when_frame and not task.done():
                await asyncio.sleep(0.0005)
            await action(player)
            await task
        output.wait()

    asyncio.run(run())
    return output.samples


def test_seek_while_playing_continues_exactly_at_the_target(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    track_id = library.track_id("song.wav")
    played = _play_with(server, track_id, 60_000, lambda player: player.send(SeekTo(17.5)))
    render = _render(library.music / "song.wav").astype(np.float32)
    target = round(17.5 * RATE)
    tail_length = len(render) - target
    before, after = played[: len(played) - tail_length], played[len(played) - tail_length :]
    assert np.abs(after - render[target:]).max() < TOLERANCE  # lands on the frame (±0 ms)
    assert 60_000 <= len(before) <= 3 * 441_000
    assert np.abs(before - render[: len(before)]).max() < TOLERANCE


def test_a_preset_switch_joins_seamlessly_at_a_chunk_boundary(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    path = _low_only_track(library)
    server = live_server(library.app())
    played = _play_with(
        server,
        library.track_id("low.wav"),
        50_000,
        lambda player: player.send(SetSettings(PlaybackSettings("bright", 1.0))),
    )
    old, new = (
        _render(path, "adaptive").astype(np.float32),
        _render(path, "bright").astype(np.float32),
    )
    assert played.shape == old.shape
    chunk, overlap = 441_000, 4410
    switch = next(
        c
        for c in (1, 2)
        if np.abs(played[c * chunk + overlap :] - new[c * chunk + overlap :]).max() < TOLERANCE
    )
    seam = switch * chunk
    assert np.abs(played[:seam] - old[:seam]).max() < TOLERANCE
    old_tail = old[seam : seam + overlap]  # the old plan's render of those frames is its tail
    np.testing.assert_allclose(
        played[seam : seam + overlap], equal_gain(old_tail, new[seam : seam + overlap]), atol=1e-6
    )

    def high_band_energy(segment: np.ndarray) -> float:
        spectrum = np.fft.rfft(segment[:, 0] * np.hanning(len(segment)))
        freqs = np.fft.rfftfreq(len(segment), 1 / RATE)
        return float((np.abs(spectrum[freqs > 12_000]) ** 2).sum())

    width = 2 * overlap
    around = [
        high_band_energy(played[seam - overlap + k * width : seam - overlap + (k + 1) * width])
        for k in (-2, -1, 1, 2)
    ]
    window = played[seam - overlap // 2 : seam - overlap // 2 + width]
    at_seam = high_band_energy(window)
    # No click: nothing above 12 kHz beyond the neighbourhood's, give or take a floor 60 dB
    # under the window's energy (a step of 0.001 between samples would still exceed it).
    floor = 1e-6 * float((np.abs(np.fft.rfft(window[:, 0] * np.hanning(width))) ** 2).sum())
    assert at_seam <= max(around) * 1.05 + floor, (at_seam, around, floor)


def _skip_run(
    server: LiveServer, ids: list[int], when_frame: int, step: int
) -> tuple[np.ndarray, list[int]]:
    # Paced (8x real time): a free-running capture could leave the track before the skip.
    output = CaptureOutput(realtime=True, speed=8.0)
    seen: list[int] = []

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2)
            task = asyncio.create_task(player.play(ids, start_index=1))
            while (player.position_frame or 0) < when_frame and not task.done():
                await asyncio.sleep(0.0005)
            seen.append(player.now_playing.track_id)  # type: ignore[union-attr]
            await player.send(Skip(step))
            while not task.done():
                now = player.now_playing
                if now is not None and (not seen or seen[-1] != now.track_id):
                    seen.append(now.track_id)
                await asyncio.sleep(0.001)
            await task
        output.wait()

    asyncio.run(run())
    return output.samples, seen


def test_next_and_previous_cut_to_the_other_track_exactly(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    from tests.tui.test_player import _two_tracks

    first, second, ids = _two_tracks(library)
    third = library.music / "song.wav"
    queue = [ids[0], ids[1], library.track_id("song.wav")]
    server = live_server(library.app())
    renders = {path: _render(path).astype(np.float32) for path in (first, second, third)}

    played, seen = _skip_run(server, queue, 30_000, +1)  # n while the second plays
    assert seen == [queue[1], queue[2]]
    _assert_cut(played, renders[second], renders[third])

    played, seen = _skip_run(server, queue, 30_000, -1)  # N goes back to the first
    assert seen[:2] == [queue[1], queue[0]]
    whole = np.concatenate([renders[first], renders[second], renders[third]])
    _assert_cut(played, renders[second], whole)


def _assert_cut(played: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
    """``played`` is a start of ``before``, then silence while the skip fetched, then ``after``."""
    cut = len(played) - len(after)
    assert np.abs(played[cut:] - after).max() < TOLERANCE
    head = played[:cut]
    wrong = np.flatnonzero(np.abs(head - before[:cut]).max(axis=1) >= TOLERANCE)
    kept = int(wrong[0]) if len(wrong) else cut
    assert 30_000 <= kept <= 3 * 441_000
    assert not head[kept:].any()  # nothing but silence between the two


def test_previous_works_after_the_last_track_was_fully_fetched(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    first, second, ids = _two_tracks_of(library)
    server = live_server(library.app())
    output = CaptureOutput(realtime=True, speed=8.0)
    seen: list[int] = []

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2)
            task = asyncio.create_task(player.play(ids, start_index=1, linger=True))
            while not (player.ring and player.ring.end_of_stream) and not task.done():
                await asyncio.sleep(0.001)  # the last track is all written, and still playing
            assert not task.done()  # lingering while the device plays
            seen.append(player.now_playing.track_id)  # type: ignore[union-attr]
            await player.send(Skip(-1))
            while not task.done():
                now = player.now_playing
                if now is not None and seen[-1] != now.track_id:
                    seen.append(now.track_id)
                await asyncio.sleep(0.001)
        output.wait()

    asyncio.run(run())
    assert seen == [ids[1], ids[0], ids[1]]  # back to the first, then on through the queue
    expected = np.concatenate([_render(first), _render(second)]).astype(np.float32)
    assert np.abs(output.samples[-len(expected) :] - expected).max() < TOLERANCE


def _two_tracks_of(library: Library) -> tuple[Path, Path, list[int]]:
    from tests.tui.test_player import _two_tracks

    return _two_tracks(library)
