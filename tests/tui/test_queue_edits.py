"""Play modes and queue edits while playing, through a real server and the capture output.

The expectation is always the server's own render of the tracks that should be heard,
concatenated: a gap, an overlap, a track refetched at the wrong place or a lost frame
shows up as different samples, not as a timing.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from auralis_server.library.scanner import Scanner
from auralis_tui.api import AuralisClient, StreamRequest
from auralis_tui.engine.commands import (
    Append,
    Clear,
    Command,
    Delete,
    InsertNext,
    Move,
    SeekTo,
    SetMode,
    Skip,
)
from auralis_tui.engine.outputs import BLOCK_FRAMES, CaptureOutput
from auralis_tui.engine.play_order import PlayMode, PlayOrder
from auralis_tui.engine.player import Player
from auralis_tui.engine.session import Session
from shared.wire import Frame
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library
from tests.tui.player_model import Harness, check
from tests.tui.test_player import TOLERANCE, _render
from tests.tui.test_player_commands import RATE, _tracks
from tests.tui.test_player_model import DELAYS_S, QUEUE, ModelQueue
from tests.tui.test_player_model import model_queue as model_queue_fixture  # noqa: F401


def _renders(paths: list[Path]) -> list[np.ndarray]:
    return [_render(path).astype(np.float32) for path in paths]


def _assert_exactly(played: np.ndarray, expected: np.ndarray) -> None:
    assert played.shape == expected.shape, (played.shape, expected.shape)
    assert float(np.abs(played - expected).max()) < TOLERANCE


class _Counting:
    """The client's stream requests, counted per (track, first chunk): a refetch shows."""

    def __init__(self, client: AuralisClient) -> None:
        self.requests: list[tuple[int, int]] = []
        self._frames = client.frames

        async def frames(request: StreamRequest) -> AsyncIterator[Frame]:
            self.requests.append((request.track_id, request.first_chunk))
            async for frame in self._frames(request):
                yield frame

        client.frames = frames  # type: ignore[method-assign]


def _play_and_send(
    server: LiveServer,
    ids: list[int],
    commands: list[Command],
    *,
    when_s: float = 1.0,
    **options: Any,
) -> tuple[np.ndarray, list[tuple[int, int | None]], list[tuple[int, int]], list[int]]:
    """Play ``ids`` (capture at 4× real time); once the head passes ``when_s`` into the first
    track, send ``commands``. Returns the capture, the (track, queue index) heard in turn,
    the stream requests, and the player's queue at the end."""
    output = CaptureOutput(realtime=True, speed=4.0)
    heard: list[tuple[int, int | None]] = []
    counting: list[_Counting] = []

    async def run() -> list[int]:
        async with AuralisClient(server.url) as client:
            counting.append(_Counting(client))
            player = Player(client, output, prefetch_chunks=2, **options)
            task = asyncio.create_task(player.play(ids, linger=True))
            while (player.position_frame or 0) < when_s * RATE and not task.done():
                await asyncio.sleep(0.0005)
            for command in commands:
                await player.send(command)
            while not task.done():
                now = player.now_playing
                seen = None if now is None else (now.track_id, None if now.detached else now.index)
                if seen is not None and (not heard or heard[-1] != seen):
                    heard.append(seen)
                await asyncio.sleep(0.001)
            await task
            return list(player.queue)

    queue = asyncio.run(run())
    output.wait()
    return output.samples, heard, counting[0].requests, queue


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        (lambda ids: [Delete(1)], [0, 2, 3]),  # the next track, already buffered
        (lambda ids: [Move(1, 1)], [0, 2, 1, 3]),
        (lambda ids: [Clear(), InsertNext((ids[3], ids[1]))], [0, 3, 1]),
    ],
    ids=["delete the next", "move the next down", "clear then play next"],
)
def test_editing_what_follows_while_playing_joins_the_new_next_track_without_a_gap(
    library: Library,
    live_server: Callable[..., LiveServer],
    edits: Callable[[list[int]], list[Command]],
    expected: list[int],
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0, 3.0, 2.5, 2.0)
    renders = _renders(paths)
    played, heard, requests, queue = _play_and_send(server, ids, edits(ids))
    _assert_exactly(played, np.concatenate([renders[index] for index in expected]))
    assert queue == [ids[index] for index in expected]
    # The bar's (track, index) follow the edited queue.
    assert heard == [(ids[index], place) for place, index in enumerate(expected)]
    # Buffered before the edit and cut: fetched again only where it plays later.
    assert requests.count((ids[1], 0)) == 1 + (1 in expected)


def test_an_edit_that_leaves_what_follows_refetches_nothing(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0, 3.0, 2.5)
    a, b, c = _renders(paths)
    extra = ids[1]
    played, _, requests, queue = _play_and_send(server, ids, [Append((extra,)), Delete(3)])
    _assert_exactly(played, np.concatenate([a, b, c]))
    assert queue == ids
    assert sorted(requests) == sorted({(track_id, 0) for track_id in ids})  # each once


def test_deleting_the_playing_track_plays_it_out_then_what_followed(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0, 3.0, 2.5)
    a, b, c = _renders(paths)
    played, heard, _, queue = _play_and_send(server, ids, [Delete(0)])
    _assert_exactly(played, np.concatenate([a, b, c]))
    assert queue == ids[1:]
    assert heard == [(ids[0], None), (ids[1], 0), (ids[2], 1)]  # heard from the edit on


def test_repeat_one_joins_the_tracks_last_frame_to_its_first(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """Played on repeat until it has looped, then repeat is turned off: the capture is the
    track's render a whole number of times, back to back, and nothing else."""
    server = live_server(library.app())
    paths, ids = _tracks(library, 2.0)
    (render,) = _renders(paths)
    output = CaptureOutput(realtime=True, speed=4.0)

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2, mode=PlayMode("off", "one"))
            task = asyncio.create_task(player.play(ids, linger=True))
            last = 0
            while not task.done():  # until the play head has wrapped round once
                position = player.position_frame or 0
                if position < last:
                    break
                last = position
                await asyncio.sleep(0.0005)
            await player.send(SetMode(PlayMode()))
            await task

    asyncio.run(run())
    output.wait()
    played = output.samples
    loops = len(played) // len(render)
    assert loops >= 2 and len(played) == loops * len(render)
    _assert_exactly(played, np.tile(render, (loops, 1)))


def test_previous_after_shuffle_returns_to_the_track_heard_before(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 3.0, 3.0, 3.0, 3.0, 3.0)
    mode = PlayMode("tracks", "off")

    def second_of(seed: int) -> int | None:
        order = PlayOrder(len(ids), mode, rng=random.Random(seed))
        order.begin(2)
        order.commit(2)
        return order.following(2, by_itself=True)

    # A shuffle where the track heard second is not the one after the first in the queue,
    # so `previous` in queue order would go elsewhere.
    seed = next(seed for seed in range(100) if second_of(seed) not in (None, 3))
    output = CaptureOutput(realtime=True, speed=4.0)
    heard: list[int] = []

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2, mode=mode, rng=random.Random(seed))
            task = asyncio.create_task(player.play(ids, start_index=2, linger=True))
            while len(heard) < 2 and not task.done():
                now = player.now_playing
                if now is not None and (not heard or heard[-1] != now.index):
                    heard.append(now.index)
                await asyncio.sleep(0.0005)
            await player.send(Skip(-1))  # within its first 3 s: back to the one before
            while not task.done():
                now = player.now_playing
                if now is not None and heard[-1] != now.index:
                    heard.append(now.index)
                await asyncio.sleep(0.0005)

    asyncio.run(run())
    output.wait()
    assert heard[:3] == [2, second_of(seed), 2]
    assert sorted(set(heard)) == list(range(len(ids)))  # the cycle still plays every track
    render = _renders([paths[heard[-1]]])[0]
    assert float(np.abs(output.samples[-len(render) :] - render).max()) < TOLERANCE


def test_a_session_begun_paused_is_silent_until_resumed(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0)
    (render,) = _renders(paths)
    output = CaptureOutput(realtime=True, speed=4.0)

    async def run() -> tuple[str, int]:
        async with AuralisClient(server.url) as client:
            session = Session(client, lambda: output)
            session.begin(ids, 0, 2.0, paused=True)
            task = asyncio.create_task(session.run())
            while len(output.blocks) < 20:  # the device is pulling: silence, held
                await asyncio.sleep(0.001)
            state, silent = session.status().state, len(output.blocks)
            session.resume()
            report = await task
            assert report.tracks == ids
            return state, silent

    state, silent = asyncio.run(run())
    output.wait()
    assert state == "paused" and not any(block.any() for block in output.blocks[:silent])
    played = output.samples
    first = int(np.flatnonzero(np.abs(played).max(axis=1) > 0)[0]) // BLOCK_FRAMES * BLOCK_FRAMES
    _assert_exactly(played[first:], render[2 * RATE :])


@pytest.mark.parametrize("muted_first", [True, False])
def test_mute_keeps_the_volume_and_the_modes_show_in_the_status(muted_first: bool) -> None:
    session = Session(None, CaptureOutput)  # type: ignore[arg-type]  # no run: no client needed
    session.volume = 0.6
    session.toggle_mute()
    if not muted_first:
        session.toggle_mute()
    session.cycle_shuffle()
    session.toggle_repeat_one()
    status = session.status()
    assert (status.muted, status.volume) == (muted_first, 0.6)
    assert (status.shuffle, status.repeat) == ("tracks", "one")
    session.change_volume(-0.1)  # as in cmus, a volume key unmutes
    assert (session.muted, session.volume) == (False, 0.5)


def test_editing_the_queue_with_no_run_edits_the_sessions_queue() -> None:
    session = Session(None, CaptureOutput)  # type: ignore[arg-type]
    session.queue = [10, 11, 12, 13]
    session.delete(1)
    assert session.move(0, 5) == 2
    session.play_next([20])
    session.enqueue([21])
    assert session.queue == [20, 12, 13, 10, 21]
    session.clear()
    assert session.queue == []


def test_an_edit_while_the_device_plays_out_before_a_format_change_cuts_nothing(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """The loop waits for the 44.1 kHz track to play out before reopening at 48 kHz; an edit
    then changes what follows, not that the first track is heard to its last frame."""
    paths = [library.music / "f0.wav", library.music / "f1.wav", library.music / "f2.wav"]
    for index, (path, rate_hz) in enumerate(zip(paths, (44100, 48000, 48000), strict=True)):
        write_audio(path, 3.0, rate_hz, seed=90 + index)
    Scanner([library.music], workers=1).run()
    ids = [library.track_id(path.name) for path in paths]
    server = live_server(library.app())
    first, second, _ = _renders(paths)
    output = CaptureOutput(realtime=True, speed=4.0)

    async def run() -> None:
        async with AuralisClient(server.url) as client:
            player = Player(client, output, prefetch_chunks=2)
            task = asyncio.create_task(player.play(ids, linger=True))
            while (player.position_frame or 0) < RATE and not task.done():
                await asyncio.sleep(0.0005)
            assert player.ring is not None and player.ring.end_of_stream  # waiting to reopen
            await player.send(Delete(2))
            await task

    asyncio.run(run())
    segments = output.segments
    assert [rate for rate, _ in segments] == [44100, 48000]
    _assert_exactly(segments[0][1], first)
    _assert_exactly(segments[1][1], second)


def test_edits_before_the_run_starts_move_its_start_along(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """Enter on the second track, then `d` on the first before the run has started: the run
    still starts at the track chosen (now the first), and the session shows the player's queue."""
    server = live_server(library.app())
    paths, ids = _tracks(library, 2.0, 2.5, 3.0)
    _, b, c = _renders(paths)
    output = CaptureOutput()

    async def run() -> list[int]:
        async with AuralisClient(server.url) as client:
            session = Session(client, lambda: output)
            session.begin(ids, 1)
            session.delete(0)
            await asyncio.wait_for(session.run(), 60)
            return session.queue

    assert asyncio.run(run()) == ids[1:]
    output.wait()
    _assert_exactly(output.samples, np.concatenate([b, c]))


def test_shuffle_turned_on_while_playing_plays_each_other_track_once_without_a_gap(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    paths, ids = _tracks(library, 6.0, 2.0, 2.5, 3.0)
    renders = _renders(paths)
    mode = PlayMode("tracks", "off")
    # Seed 2 draws 3, 2, 1: the track buffered after the first (1) no longer follows it.
    played, heard, _, _ = _play_and_send(server, ids, [SetMode(mode)], rng=random.Random(2))
    orders = [
        order
        for order in itertools.permutations(range(1, len(ids)))
        if played.shape[0] == sum(len(renders[index]) for index in (0, *order))
        and float(np.abs(played - np.concatenate([renders[index] for index in (0, *order)])).max())
        < TOLERANCE
    ]
    assert len(orders) == 1  # the first track whole, then every other one once, back to back
    assert [index for _, index in heard] == [0, *orders[0]]


# -- the reference model (player_model.py) with queue edits among the other commands ----------

# Each example is a few seconds of real time at most; 25 run in `make test` (≈ 25 s).
MODEL_EXAMPLES = int(os.environ.get("AURALIS_MODEL_EXAMPLES", "25"))


@pytest.fixture
def edit_queue(model_queue_fixture: ModelQueue) -> ModelQueue:  # noqa: F811  (imported fixture)
    """test_player_model's queue of short tracks in mixed formats, with their renders."""
    return model_queue_fixture


def test_edits_among_skips_and_seeks_play_what_the_model_predicts(
    edit_queue: ModelQueue,
) -> None:
    """A fixed sequence: delete what follows, skip to the new next track, move one up."""
    harness = edit_queue.harness()
    harness.edit(Delete(1))
    time.sleep(0.05)
    harness.send(Skip(1))
    harness.edit(Move(3, -1))
    time.sleep(0.02)
    harness.send(SeekTo(0.5))
    check(harness.finish(), edit_queue.specs, edit_queue.renders)


@pytest.mark.timeout(1800)
def test_random_edits_and_moves_play_what_the_model_predicts(edit_queue: ModelQueue) -> None:
    class EditingMachine(RuleBasedStateMachine):
        """One example: a run through the queue, edited and moved about while it plays."""

        harness: Harness

        @initialize()
        def start(self) -> None:
            self.harness = edit_queue.harness()

        def _after(self, delay_s: float) -> None:
            if delay_s:
                time.sleep(delay_s)
            self.harness.observe()

        @rule(index=st.integers(0, len(QUEUE) - 1), delay_s=st.sampled_from(DELAYS_S))
        def delete(self, index: int, delay_s: float) -> None:
            self.harness.edit(Delete(index))
            self._after(delay_s)

        @rule(
            index=st.integers(0, len(QUEUE) - 1),
            delta=st.sampled_from([-2, -1, 1, 2]),
            delay_s=st.sampled_from(DELAYS_S),
        )
        def move(self, index: int, delta: int, delay_s: float) -> None:
            self.harness.edit(Move(index, delta))
            self._after(delay_s)

        @rule(step=st.sampled_from([1, -1]), delay_s=st.sampled_from(DELAYS_S))
        def skip(self, step: int, delay_s: float) -> None:
            self.harness.send(Skip(step))
            self._after(delay_s)

        @rule(seconds=st.floats(0.0, 2.4), delay_s=st.sampled_from(DELAYS_S))
        def seek_to(self, seconds: float, delay_s: float) -> None:
            self.harness.send(SeekTo(seconds))
            self._after(delay_s)

        def teardown(self) -> None:
            if hasattr(self, "harness"):
                check(self.harness.finish(), edit_queue.specs, edit_queue.renders)

    run_state_machine_as_test(
        EditingMachine,
        settings=settings(
            max_examples=MODEL_EXAMPLES,
            stateful_step_count=5,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


# -- edits of the next entry right at a track boundary -----------------------------------------


class _GatedCapture(CaptureOutput):
    """Drains as fast as the producer fills (not real time), but stops pulling once the ring's
    read position reaches a gate, until the test opens it: the test then reads the status and
    sends commands while the device is known to be taking exactly that frame. Stopping the pull
    adds nothing to the capture: it is the same audio, later."""

    def __init__(self, gates: list[int]) -> None:
        super().__init__()
        self.gates = sorted(gates)
        self.at_gate = threading.Event()  # the pull waits at ``gates[0]``
        self.open_gate = threading.Event()

    def _pull(self, ring: Any, rate_hz: int) -> None:
        block = np.zeros((BLOCK_FRAMES, ring.channels), dtype=np.float32)
        while not self._stop.is_set():
            if self.gates and ring.read_position >= self.gates[0]:
                self.at_gate.set()
                self.open_gate.wait(30)
                self.open_gate.clear()
                self.gates.pop(0)
                continue
            ended = ring.end_of_stream
            if ring.available_frames < BLOCK_FRAMES and not ended:
                time.sleep(0.001)
                continue
            if ring.available_frames == 0 and ring.end_of_stream:
                break
            got = ring.read_into(block)
            self.blocks.append(block[: got if ended else len(block)].copy())


def _heard_at(lengths: list[int], heard: list[int], frame: int) -> tuple[int, int]:
    """(place in ``heard``, frame in that track) of capture frame ``frame``."""
    for place, index in enumerate(heard):
        if frame < lengths[index]:
            return place, frame
        frame -= lengths[index]
    raise AssertionError("past the end")


@pytest.mark.parametrize(
    ("edit", "expected", "places", "offset", "edited_queue"),
    [
        # Within SWITCH_SAFETY_FRAMES of the boundary: B is kept as fed (it cannot be cut),
        # so it is heard, as a deleted entry (no queue index), then what followed it.
        (Delete(1), [0, 1, 2, 3], [0, None, 1, 2], -4 * BLOCK_FRAMES, [0, 2, 3]),
        # Just after B started: B is the playing entry, deleted while playing.
        (Delete(1), [0, 1, 2, 3], [0, None, 1, 2], 2 * BLOCK_FRAMES, [0, 2, 3]),
        # Moved down within the safety window: B is heard now (at its new place), then what
        # now follows it in the queue.
        (Move(1, 1), [0, 1, 3], [0, 2, 3], -4 * BLOCK_FRAMES, [0, 2, 1, 3]),
        (Move(1, 1), [0, 1, 3], [0, 2, 3], 2 * BLOCK_FRAMES, [0, 2, 1, 3]),
        # Play next (`E`) within the safety window: B is as good as playing, so the inserted
        # track plays after B (before the fix it was inserted before B and never heard).
        (InsertNext((3,)), [0, 1, 3, 2, 3], [0, 1, 2, 3, 4], -4 * BLOCK_FRAMES, [0, 1, 3, 2, 3]),
        (InsertNext((3,)), [0, 1, 3, 2, 3], [0, 1, 2, 3, 4], 2 * BLOCK_FRAMES, [0, 1, 3, 2, 3]),
    ],
    ids=[
        "delete before",
        "delete after",
        "move before",
        "move after",
        "insert before",
        "insert after",
    ],
)
@pytest.mark.parametrize(
    "seconds",
    [(3.0, 2.5, 2.0, 1.5), (3.0, 24.0, 2.0, 1.5)],
    ids=["all buffered", "next being fed"],
)
def test_editing_the_next_entry_at_the_boundary_shows_what_is_heard(
    library: Library,
    live_server: Callable[..., LiveServer],
    seconds: tuple[float, ...],
    edit: Command,
    expected: list[int],
    places: list[int | None],
    offset: int,
    edited_queue: list[int],
) -> None:
    """The QA report: `d` on the next entry as the track changes. Whatever the edit does,
    the status names the track the device is taking, at its own position, with its queue
    index (None for a deleted one), and the audio is the renders of what is heard, whole."""
    server = live_server(library.app())
    paths, ids = _tracks(library, *seconds)
    renders = _renders(paths)
    lengths = [len(render) for render in renders]
    boundary = lengths[0]
    heard_total = sum(lengths[index] for index in expected)
    # The edit's gate, then checks every half second of what is heard and around each boundary.
    checks = sorted(
        {boundary + offset}
        | set(range(RATE // 2, heard_total, RATE // 2))
        | {
            start + delta
            for start in itertools.accumulate(lengths[index] for index in expected)
            for delta in (-2 * BLOCK_FRAMES, 2 * BLOCK_FRAMES)
            if 0 < start + delta < heard_total
        }
    )
    output = _GatedCapture(checks)
    wrong: list[str] = []
    sent = (  # parametrised by track place, sent by track id
        InsertNext(tuple(ids[place] for place in edit.track_ids))
        if isinstance(edit, InsertNext)
        else edit
    )

    async def run() -> list[int]:
        async with AuralisClient(server.url) as client:
            # A ring of 20 s: a next track longer than that is still being fed at the boundary.
            player = Player(client, output, prefetch_chunks=1)
            task = asyncio.create_task(player.play(ids, linger=True))
            edited = False
            for gate in checks:
                while not output.at_gate.is_set():
                    assert not task.done()
                    await asyncio.sleep(0.001)
                output.at_gate.clear()
                ring = player.ring
                assert ring is not None
                if gate == boundary + offset:
                    # Let the feeder fill what it can: B is buffered, as under load.
                    for _ in range(200):
                        if not ring.free_frames or ring.end_of_stream:
                            break
                        await asyncio.sleep(0.005)
                    await player.send(sent)
                    edited = True
                read = ring.read_position
                place, frame = _heard_at(lengths, expected, read)
                now = player.now_playing
                seen = (
                    None
                    if now is None
                    else (now.track_id, None if now.detached else now.index, now.position_frame)
                )
                index = places[place] if edited else expected[place]  # the queue as it was
                want = (ids[expected[place]], index, frame)
                if seen != want:
                    wrong.append(f"at ring frame {read}: status {seen}, heard {want}")
                output.open_gate.set()
            await asyncio.wait_for(task, 60)
            return list(player.queue)

    queue = asyncio.run(run())
    output.wait()
    _assert_exactly(output.samples, np.concatenate([renders[index] for index in expected]))
    assert not wrong, "\n".join(wrong)
    assert queue == [ids[index] for index in edited_queue]
