"""Player commands given fast and at awkward moments, through a real server and the capture output.

Each test plays real renders and compares what the device took against the server's own
render of the expected segments, so a seek that lands elsewhere or a skip that restarts
the wrong track shows up as different samples, not as a timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from auralis_server.library.scanner import Scanner
from auralis_tui.api import AuralisClient
from auralis_tui.engine.commands import Jump, SeekBy, SeekTo, SetSettings, Skip
from auralis_tui.engine.outputs import BLOCK_FRAMES, CaptureOutput
from auralis_tui.engine.player import Player
from auralis_tui.engine.session import Session
from auralis_tui.engine.types import PlaybackReport, PlaybackSettings
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library
from tests.tui.test_player import TOLERANCE, _render

RATE = 44100


def _tracks(library: Library, *seconds: float) -> tuple[list[Path], list[int]]:
    paths = [library.music / f"t{index}.wav" for index in range(len(seconds))]
    for index, (path, length_s) in enumerate(zip(paths, seconds, strict=True)):
        write_audio(path, length_s, RATE, seed=40 + index)
    Scanner([library.music], workers=1).run()
    return paths, [library.track_id(path.name) for path in paths]


def _run(
    server: LiveServer,
    ids: list[int],
    start_index: int,
    when_s: float,
    action: Callable[[Player], Awaitable[None]],
    output: CaptureOutput | None = None,
) -> tuple[np.ndarray, PlaybackReport, list[int]]:
    """Play ``ids`` from ``start_index``; once the play head passes ``when_s``, run ``action``.

    Returns what the device took, the report, and the play-head frame seen at the action.
    """
    # Paced at 4× real time, so the play head is where the test acts, however loaded the machine.
    output = output or CaptureOutput(realtime=True, speed=4.0)
    seen: list[int] = []

    async def run() -> PlaybackReport:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2)
            task = asyncio.create_task(player.play(ids, start_index=start_index, linger=True))
            while (player.position_frame or 0) < when_s * RATE and not task.done():
                await asyncio.sleep(0.0005)
            seen.append(player.position_frame or 0)
            await action(player)
            report = await asyncio.wait_for(task, 120)
        output.stop()
        return report

    report = asyncio.run(run())
    return output.samples, report, seen


def _tail_matches(played: np.ndarray, render: np.ndarray, target: int) -> bool:
    tail = len(render) - target
    return len(played) >= tail and float(np.abs(played[-tail:] - render[target:]).max()) < TOLERANCE


def test_two_seeks_in_one_batch_add_up_from_the_first_target(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """→ → pressed faster than the player catches up: +10 s from where the first one began."""
    server = live_server(library.app())
    paths, ids = _tracks(library, 30.0)

    async def two_seeks(player: Player) -> None:
        player.post(SeekBy(5.0))  # both queued before the player runs
        player.post(SeekBy(5.0))

    played, _, seen = _run(server, ids, 0, 1.0, two_seeks)
    render = _render(paths[0]).astype(np.float32)
    expected = seen[0] + 10 * RATE
    # The device thread moves the head between our reading and the first seek: one block at most.
    landed = [
        target
        for target in range(expected - 2 * BLOCK_FRAMES, expected + 2 * BLOCK_FRAMES + 1)
        if _tail_matches(played, render, target)
    ]
    assert landed, "the second seek did not continue from the first one's target"


def test_next_on_the_last_track_stops_instead_of_restarting_it(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0, 25.0)

    async def next_track(player: Player) -> None:
        await player.send(Skip(1))

    played, _, seen = _run(server, ids, 1, 2.0, next_track)
    render = _render(paths[1]).astype(np.float32)
    assert seen[0] <= len(played) < len(render)  # stopped part-way: nothing restarted
    assert float(np.abs(played - render[: len(played)]).max()) < TOLERANCE


def test_previous_after_three_seconds_restarts_the_track(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0, 12.0)

    async def previous(player: Player) -> None:
        await player.send(Skip(-1))

    played, _, seen = _run(server, ids, 1, 3.5, previous)
    first, second = (_render(path).astype(np.float32) for path in paths)
    assert seen[0] >= 3.5 * RATE
    assert _tail_matches(played, second, 0)  # the second track again, from its start
    assert len(played) < len(first) + len(second)  # and the first track never played


def test_previous_within_three_seconds_goes_to_the_previous_track(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0, 12.0)

    async def previous(player: Player) -> None:
        await player.send(Skip(-1))

    output = CaptureOutput(realtime=True, speed=3.0)  # paced, so the head is still early
    played, _, seen = _run(server, ids, 1, 0.5, previous, output)
    first, second = (_render(path).astype(np.float32) for path in paths)
    assert seen[0] < 3 * RATE
    both = np.concatenate([first, second])
    assert _tail_matches(played, both, 0)  # the first track, then the second after it


def test_a_seek_holds_the_output_instead_of_counting_underruns(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """The device keeps pulling in real time (×4) while the seek's first chunk renders."""
    server = live_server(library.app())
    paths, ids = _tracks(library, 40.0)

    async def seek(player: Player) -> None:
        await player.send(SeekTo(30.0))

    output = CaptureOutput(realtime=True, speed=4.0)
    played, report, _ = _run(server, ids, 0, 1.0, seek, output)
    render = _render(paths[0]).astype(np.float32)
    assert _tail_matches(played, render, 30 * RATE)
    assert report.underruns == 0


def test_a_track_deleted_while_playing_plays_out_its_buffer_and_the_queue_goes_on(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 60.0, 6.0)
    first, second = (_render(path).astype(np.float32) for path in paths)

    async def delete(player: Player) -> None:
        paths[0].unlink()

    output = CaptureOutput(realtime=True, speed=4.0)
    played, report, _ = _run(server, ids, 0, 1.0, delete, output)
    heard_of_first = len(played) - len(second)
    chunk_frames = 10 * RATE
    assert heard_of_first > 0 and heard_of_first % chunk_frames == 0  # whole buffered chunks
    assert float(np.abs(played[:heard_of_first] - first[:heard_of_first]).max()) < TOLERANCE
    assert _tail_matches(played, second, 0)
    assert report.tracks == [ids[1]] and len(report.problems) == 1
    assert f"track {ids[0]}" in report.problems[0] and "422" in report.problems[0]


def test_a_queue_of_mixed_formats_plays_every_track_in_order(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """44.1 kHz stereo, 48 kHz stereo, 96 kHz 24-bit, 22.05 kHz mono: the device is reopened
    at each format change, and same-format neighbours stay joined without a gap."""
    formats = [
        (44100, 2, "PCM_16"),
        (48000, 2, "PCM_16"),
        (96000, 2, "PCM_24"),
        (22050, 1, "PCM_16"),
    ]
    formats += [(22050, 1, "PCM_16"), (44100, 2, "PCM_16")]
    paths = [library.music / f"m{index}.wav" for index in range(len(formats))]
    for index, (path, (rate_hz, channels, subtype)) in enumerate(zip(paths, formats, strict=True)):
        write_audio(
            path, 2.0 + index * 0.5, rate_hz, channels=channels, subtype=subtype, seed=60 + index
        )
    Scanner([library.music], workers=1).run()
    server = live_server(library.app())
    output = CaptureOutput()

    async def run() -> PlaybackReport:
        async with AuralisClient(server.url) as client:
            return await Player(client, output).play([library.track_id(p.name) for p in paths])

    report = asyncio.run(run())
    output.wait()
    renders = [_render(path).astype(np.float32) for path in paths]
    expected = [
        (44100, renders[0]),
        (48000, renders[1]),
        (96000, renders[2]),
        (22050, np.concatenate([renders[3], renders[4]])),  # same format: one gapless run
        (44100, renders[5]),
    ]
    segments = output.segments
    assert [rate for rate, _ in segments] == [rate for rate, _ in expected]
    for (_, played), (_, render) in zip(segments, expected, strict=True):
        assert played.shape == render.shape
        assert float(np.abs(played - render).max()) < TOLERANCE
    assert len(report.tracks) == len(paths) and report.underruns == 0


def test_unplayable_and_missing_tracks_are_skipped_and_the_rest_plays(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    paths, ids = _tracks(library, 3.0)
    (library.music / "broken.flac").write_bytes(b"fLaC" + bytes(200))
    Scanner([library.music], workers=1).run()
    broken_id, missing_id = library.track_id("broken.flac"), 10**9
    server = live_server(library.app())
    output = CaptureOutput()

    async def run() -> PlaybackReport:
        async with AuralisClient(server.url) as client:
            return await Player(client, output).play([broken_id, ids[0], missing_id])

    report = asyncio.run(run())
    output.wait()
    render = _render(paths[0]).astype(np.float32)
    assert output.samples.shape == render.shape
    assert float(np.abs(output.samples - render).max()) < TOLERANCE
    assert report.tracks == [ids[0]]
    assert [problem.split(":")[0] for problem in report.problems] == [
        f"track {broken_id} skipped",
        f"track {missing_id} skipped",
    ]


def test_a_preset_in_a_tracks_last_chunk_applies_to_the_next_track_already_buffered(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 12.0, 14.0)

    async def bright(player: Player) -> None:
        await player.send(SetSettings(PlaybackSettings("bright", 1.0)))

    played, _, seen = _run(server, ids, 0, 10.5, bright)  # chunk 1 of the first: its last
    assert seen[0] < 11.5 * RATE  # before the second track's start, with margin
    first_old = _render(paths[0]).astype(np.float32)
    second_new = _render(paths[1], "bright").astype(np.float32)
    assert played.shape[0] == len(first_old) + len(second_new)
    assert float(np.abs(played[: len(first_old)] - first_old).max()) < TOLERANCE
    assert float(np.abs(played[len(first_old) :] - second_new).max()) < TOLERANCE


def test_a_preset_on_the_last_track_rewrites_its_rest_and_cuts_nothing_short(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """The whole track is already buffered (linger mode): the switch still lands, at the
    next chunk boundary, and the track plays to its last frame."""
    server = live_server(library.app())
    paths, ids = _tracks(library, 25.0)

    async def bright(player: Player) -> None:
        await player.send(SetSettings(PlaybackSettings("bright", 1.0)))

    played, _, seen = _run(server, ids, 0, 2.0, bright)
    old = _render(paths[0]).astype(np.float32)
    new = _render(paths[0], "bright").astype(np.float32)
    assert seen[0] < 9 * RATE and played.shape == old.shape
    seam, overlap = 10 * RATE, 4410  # chunk 1 starts there; the old tail fades into it
    assert float(np.abs(played[:seam] - old[:seam]).max()) < TOLERANCE
    assert float(np.abs(played[seam + overlap :] - new[seam + overlap :]).max()) < TOLERANCE


class _HeldOutput:
    """A device that takes nothing until the test reads the ring itself, block by block."""

    def start(self, ring: object, rate_hz: int) -> None:
        self.ring = ring

    def stop(self) -> None:
        pass

    def latency_s(self) -> float:
        return 0.0


def test_short_tracks_buffered_together_are_each_named_while_they_play(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """Eight 1.5 s tracks fit in the buffer at once; the now-playing track follows the audio."""
    server = live_server(library.app())
    _, ids = _tracks(library, *([1.5] * 8))
    output = _HeldOutput()

    async def run() -> list[tuple[int, int]]:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2)  # type: ignore[arg-type]
            await player.play(ids)  # returns once everything is written
            assert player.ring is not None
            block = np.zeros((BLOCK_FRAMES, 2), dtype=np.float32)
            named = []
            while player.ring.available_frames:
                now = player.now_playing
                assert now is not None
                named.append((now.track_id, now.position_frame))
                player.ring.read_into(block)
            return named

    named = asyncio.run(run())
    track_frames = round(1.5 * RATE)
    expected = [
        (ids[position // track_frames], position % track_frames)
        for position in range(0, len(ids) * track_frames, BLOCK_FRAMES)
    ]
    assert named == expected


def test_cancelling_the_run_while_a_jump_is_pending_ends_it(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """Enter on another track cancels the playing run; a seek pressed just before must not
    keep the old run alive, feeding a ring nobody plays."""
    server = live_server(library.app())
    _, ids = _tracks(library, 30.0)
    output = CaptureOutput(realtime=True, speed=1.0)

    async def run() -> bool:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2)
            task = asyncio.create_task(player.play(ids, linger=True))
            while player.now_playing is None:
                await asyncio.sleep(0.001)
            await player.send(SeekBy(10.0))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
            return task.cancelled()

    assert asyncio.run(run())
    output.stop()


def test_next_on_the_last_track_leaves_the_session_ended(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    _, ids = _tracks(library, 20.0)

    async def run() -> tuple[str, str]:
        async with AuralisClient(server.url) as client:
            session = Session(client, lambda: CaptureOutput(realtime=True, speed=2.0))
            task = asyncio.create_task(session.play(ids))
            while session.status().state != "playing":
                await asyncio.sleep(0.001)
            playing = session.status().state
            session.skip(1)
            await asyncio.wait_for(task, 30)
            return playing, session.status().state

    assert asyncio.run(run()) == ("playing", "ended")


def test_seeks_pressed_before_the_run_starts_count_from_its_start(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """Enter then → → faster than the playback worker starts: both seeks reach the run
    (they were dropped: the session had no player yet), so it plays from 10 s."""
    server = live_server(library.app())
    paths, ids = _tracks(library, 20.0)
    output = CaptureOutput()

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            session = Session(client, lambda: output)
            session.begin(ids)
            await session.seek_by(5.0)
            await session.seek_by(5.0)
            await asyncio.wait_for(session.run(), 30)

    asyncio.run(run())
    render = _render(paths[0]).astype(np.float32)
    played = output.samples
    assert len(played) == len(render) - 10 * RATE
    assert float(np.abs(played - render[10 * RATE :]).max()) < TOLERANCE


def test_a_skip_waiting_for_its_targets_metadata_is_applied_though_the_queue_ran_out(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """Found by the model-based test with a slow server: a jump to the last track, then
    `previous` at once; the `previous` waited for that track's metadata while the short track
    played out, and the run ended under it: the key press was lost. It applies, and leads
    back to the track before, which plays on into the last one again."""
    server = live_server(library.app(chunk_seconds=1.0))
    paths, ids = _tracks(library, 8.0, 1.5, 1.0)

    class SlowLookupForCommands(AuralisClient):
        async def track(self, track_id: int, **options: object) -> dict[str, object]:
            task = asyncio.current_task()
            if task is not None and "_serve_commands" in repr(task.get_coro()):
                await asyncio.sleep(1.0)  # longer than the last track takes to play out
            return await super().track(track_id, **options)  # type: ignore[arg-type]

    output = CaptureOutput(realtime=True, speed=4.0)

    async def run() -> PlaybackReport:
        async with SlowLookupForCommands(server.url) as client:
            player = Player(client, output, prefetch_chunks=2)
            task = asyncio.create_task(player.play(ids, linger=True))
            while (player.position_frame or 0) < 0.2 * RATE and not task.done():
                await asyncio.sleep(0.0005)
            assert player._tracks.known(ids[2]) is None  # the jump's target: not fetched yet
            player.post(Jump(2))
            player.post(Skip(-1))
            report = await asyncio.wait_for(task, 120)
        output.stop()
        return report

    report = asyncio.run(run())
    _, second, third = (_render(path).astype(np.float32) for path in paths)
    played = output.samples
    both = np.concatenate([second, third])
    assert _tail_matches(played, both, 0), f"played {len(played)} frames: {report.tracks}"


class _HoldFirstStream:
    """ASGI: the first stream request waits, before the server sees it, until released."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.arrived, self.release = threading.Event(), threading.Event()
        self._held = False

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:  # type: ignore[type-arg]
        is_stream = scope["type"] == "http" and scope["path"].endswith("/stream")
        if is_stream and scope["method"] == "GET" and not self._held:
            self._held = True
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, 30)
        await self.app(scope, receive, send)


def test_a_preset_asked_for_while_a_fetch_is_on_its_way_is_what_plays(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """Found by hand (pause, seek, p, resume): a switch asked for while the feeder's request
    was on its way, with nothing of it written yet, left the whole request window — up to
    prefetch chunks, 30 s — in the old preset. Nothing was written: all of it is the new one."""
    gate = _HoldFirstStream(library.app())
    server = live_server(gate)
    paths, ids = _tracks(library, 25.0)
    output = CaptureOutput()

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=3)
            task = asyncio.create_task(player.play(ids))
            assert await asyncio.to_thread(gate.arrived.wait, 30)  # chunks 0-2, asked as adaptive
            await player.send(SetSettings(PlaybackSettings("bright", 1.0)))
            gate.release.set()
            await asyncio.wait_for(task, 60)
        output.wait()

    asyncio.run(run())
    bright = _render(paths[0], "bright").astype(np.float32)
    assert output.samples.shape == bright.shape
    assert float(np.abs(output.samples - bright).max()) < TOLERANCE
