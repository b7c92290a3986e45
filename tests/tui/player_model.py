"""A reference model of the player, a harness that drives the real one, and the checker.

The harness runs the real ``Player`` (real server, capture output paced in real time) on an
event loop in a thread, and sends it commands from the test's thread as a UI would. For each
command it records what the listener could see just before (the snapshot) and, for moves,
where the reference model says audio must resume. The checker decomposes the capture into
runs of the server's renders and checks them against the model: every run continues the one
before it (same track, or the next track from its first frame), changes settings only at a
chunk boundary, or starts at the next move's target (±10 ms); a move's target may be missed
only when the next move came before a block of it was taken; the queue plays to its end; and
each snapshot's track and position are what the capture was taking then (±one device block).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from auralis_tui.api import AuralisClient
from auralis_tui.engine.commands import (
    Command,
    Delete,
    Jump,
    Pause,
    Resume,
    SeekBy,
    SeekTo,
    SetSettings,
    Skip,
    Stop,
)
from auralis_tui.engine.commands import (
    Move as MoveEntry,
)
from auralis_tui.engine.navigation import RESTART_AFTER_S
from auralis_tui.engine.outputs import BLOCK_FRAMES, CaptureOutput
from auralis_tui.engine.player import Player
from auralis_tui.engine.switch import SWITCH_SAFETY_FRAMES
from auralis_tui.engine.types import PlaybackReport, PlaybackSettings, PlayerSnapshot
from shared.geometry import DEFAULT_OVERLAP_SECONDS

WINDOW = 32  # frames compared to find where a run of the capture comes from
MATCH = 1e-4  # float32 renders through the wire versus the reference chain
LANDING_S = 0.010  # a seek lands within ±10 ms of its target
T = TypeVar("T")


@dataclass(frozen=True)
class TrackSpec:
    """One queue entry as the model knows it."""

    rate_hz: int
    channels: int
    total_frames: int
    chunk_frames: int


@dataclass(frozen=True)
class Segment:
    """Frames ``first_frame`` … of queue entry ``index``'s render with ``preset``, found at
    ``capture_frame`` of the whole capture."""

    index: int
    preset: str
    first_frame: int
    frames: int
    capture_frame: int

    @property
    def end_frame(self) -> int:
        return self.first_frame + self.frames


@dataclass(frozen=True)
class Silence:
    frames: int


@dataclass
class Move:
    """Where the model says audio resumes after a jump, skip or seek."""

    label: str
    targets: list[tuple[int, int, int]]  # acceptable (index, first frame, last frame)
    chosen_rank: int  # the target is rendered with record.chosen[chosen_rank:] (a later
    # choice may land before the target's first fetch)
    sent_blocks: int = 0  # device blocks taken when it was sent: its target comes later
    may_be_missed: bool = False  # superseded before a block of it could be taken
    stops: bool = False  # `next` on the last track: nothing after
    # It may land on the last track instead (the device crossing into it meanwhile), where
    # `next` stops: then nothing of it, nor after it, is heard.
    may_stop: bool = False


@dataclass(frozen=True)
class QueueVersion:
    """The queue after an edit, which the player applied once the capture had taken between
    ``from_frame`` and ``by_frame`` frames."""

    queue: list[int]
    from_frame: int
    by_frame: int


@dataclass
class Observation:
    capture_blocks: int
    snapshot: PlayerSnapshot
    track: int | None = None  # the spec the snapshot's entry is (None: deleted while playing)


@dataclass
class Record:
    """Everything a run produced, for the checker."""

    moves: list[Move] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)  # presets in the order chosen
    blocks: list[np.ndarray] = field(default_factory=list)
    starts: list[tuple[int, int]] = field(default_factory=list)  # (block, rate) of each start
    report: PlaybackReport | None = None
    # Each version of the queue, as specs' indices: queue edits change what follows what.
    queues: list[QueueVersion] = field(default_factory=list)
    stopped: bool = False
    paused: bool = False  # a pause may put silence anywhere, also between two tracks
    # The server is slow (test_player_model's slow network): a chunk may come after the
    # device ran dry anywhere, so a join between two tracks may hold silence.
    starvable: bool = False


class Harness:
    """The real player on a loop thread; ``send`` is what a key handler would do."""

    def __init__(
        self,
        url: str,
        ids: list[int],
        specs: list[TrackSpec],
        speed: float,
        starvable: bool = False,
    ) -> None:
        self.ids, self.specs, self.speed = ids, specs, speed
        self.output = CaptureOutput(realtime=True, speed=speed)
        self.record = Record(
            chosen=["adaptive"],
            queues=[QueueVersion(list(range(len(ids))), 0, 0)],
            starvable=starvable,
        )
        self.queue = list(range(len(ids)))  # the queue as specs' indices
        self.settings = PlaybackSettings()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.client = self._run(self._client(url))
        self.player = Player(self.client, self.output, prefetch_chunks=2)
        self._play: asyncio.Future[PlaybackReport] = asyncio.run_coroutine_threadsafe(
            self.player.play(ids, linger=True), self._loop
        )  # type: ignore[assignment]
        deadline = time.monotonic() + 30
        while self.player.now_playing is None and not self._play.done():
            assert time.monotonic() < deadline, "playback did not start"
            time.sleep(0.001)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    @staticmethod
    async def _client(url: str) -> AuralisClient:
        client = AuralisClient(url)
        await client.__aenter__()
        return client

    # -- the model ---------------------------------------------------------------------------

    def edit(self, command: Delete | MoveEntry) -> None:
        """Delete or move a queue entry other than the playing one; the model's queue follows."""
        before = self.observe()
        now = before.snapshot.now
        if before.snapshot.state == "ended" or self._play.done() or now is None or now.detached:
            return
        queue = list(self.queue)
        if not 0 <= command.index < len(queue) or command.index == now.index:
            return
        if isinstance(command, Delete):
            if len(queue) <= 2:
                return
            del queue[command.index]
        else:
            entry = queue.pop(command.index)
            queue.insert(min(max(0, command.index + command.delta), len(queue)), entry)
        self._run(self.player.send(command))
        self.queue = queue  # what the player's indices now mean
        after = self.observe()
        frames = np.cumsum([0, *(len(block) for block in self.output.blocks)])
        self.record.queues.append(
            QueueVersion(
                queue,
                int(frames[before.capture_blocks]) - BLOCK_FRAMES,
                int(frames[min(after.capture_blocks, len(frames) - 1)]) + 2 * BLOCK_FRAMES,
            )
        )

    def send(self, command: Command) -> None:
        before = self.observe()
        sent_at = time.monotonic()
        if before.snapshot.state == "ended" or self._play.done():
            return
        now = before.snapshot.now
        if now is not None and now.detached and isinstance(command, SeekTo | SeekBy | Skip):
            return  # a deleted track's place: the model does not follow it
        if isinstance(command, Jump) and command.index >= len(self.queue):
            return
        self._run(self.player.send(command))
        slack_frames = self._slack_frames(time.monotonic() - sent_at)
        move = self._predict(command, before.snapshot, slack_frames)
        if move is not None:
            if self.record.moves and before.snapshot.state == "buffering":
                self.record.moves[-1].may_be_missed = True
            elif self.record.moves:
                last = self.record.moves[-1]
                now = before.snapshot.now
                heard = before.track is not None and any(
                    before.track == index and now.position_frame > first + BLOCK_FRAMES + WINDOW
                    for index, first, _ in last.targets
                )
                last.may_be_missed = last.may_be_missed or not heard
            move.sent_blocks = before.capture_blocks
            # A target in a track's last WINDOW frames leaves too short a run to identify.
            move.may_be_missed = all(
                first >= self.specs[index].total_frames - WINDOW for index, first, _ in move.targets
            ) and bool(move.targets)
            self.record.moves.append(move)
        if isinstance(command, SetSettings):
            self.settings = command.settings
            self.record.chosen.append(command.settings.preset)
        self.observe()

    def _slack_frames(self, elapsed_s: float) -> int:
        """Frames the device may take between a snapshot and the command's application."""
        now = self.player.now_playing
        rate_hz = now.rate_hz if now is not None else 8000
        return round(elapsed_s * rate_hz * self.speed) + 2 * BLOCK_FRAMES

    def _predict(self, command: Command, before: PlayerSnapshot, slack: int) -> Move | None:
        now = before.now
        if isinstance(command, Jump):
            track = self.queue[command.index]
            spec = self.specs[track]
            frame = int(min(max(0, round(command.start_s * spec.rate_hz)), spec.total_frames - 1))
            label = f"jump {command.index} {command.start_s:.2f}"
            return Move(label, [(track, frame, frame)], len(self.record.chosen) - 1)
        if not isinstance(command, SeekTo | SeekBy | Skip | Stop):
            return None
        presets = len(self.record.chosen) - 1
        if isinstance(command, Stop):
            self.record.stopped = True
            return Move("stop", [], presets, stops=True)
        if now is not None:
            track = self.queue[now.index]
            bases = self._heads(track, now.position_frame, now.position_frame + slack)
        elif self.record.moves and self.record.moves[-1].targets:
            # A jump's target whose track the snapshot could not describe yet: the player
            # learns it before applying a relative command, and may have started it meanwhile.
            bases = [
                base
                for index, first, last in self.record.moves[-1].targets
                for base in self._heads(index, first, last + slack)
            ]
        else:
            return None
        targets: list[tuple[int, int, int]] = []
        may_stop = False
        for index, head_lo, head_hi in bases:
            if self._targets_from(command, index, head_lo, head_hi, targets):
                self.record.stopped = may_stop = True  # `next` on the last track, for this base
        if not targets:
            return Move(f"{type(command).__name__} at the end", [], presets, stops=True)
        return Move(type(command).__name__, targets, presets, may_stop=may_stop)

    def _heads(self, index: int, head_lo: int, head_hi: int) -> list[tuple[int, int, int]]:
        """Where the listener may be when a command lands: the device moves on before it is
        applied (up to ``head_hi``), maybe into the next track."""
        length = self.specs[index].total_frames
        bases = [(index, head_lo, min(head_hi, length - 1))]
        successor = _successor(self.queue, index)
        if head_hi >= length and successor is not None:
            following = self.specs[successor].total_frames
            bases.append((successor, 0, min(head_hi - length, following - 1)))
        return bases

    def _targets_from(
        self,
        command: Command,
        index: int,
        head_lo: int,
        head_hi: int,
        targets: list[tuple[int, int, int]],
    ) -> bool:
        """Add where ``command`` leads from entry ``index`` between ``head_lo`` and ``head_hi``;
        True when it stops playback instead."""
        spec = self.specs[index]
        last = spec.total_frames - 1

        def clamp(frame: float) -> int:
            return int(min(max(0, round(frame)), last))

        match command:
            case SeekTo(seconds):
                frame = clamp(seconds * spec.rate_hz)
                targets.append((index, frame, frame))
            case SeekBy(delta_s):
                delta = delta_s * spec.rate_hz
                targets.append((index, clamp(head_lo + delta), clamp(head_hi + delta)))
            case Skip(step) if step > 0:
                successor = _successor(self.queue, index)
                if successor is None:
                    return True
                targets.append((successor, 0, 0))
            case Skip():
                threshold = RESTART_AFTER_S * spec.rate_hz
                if head_lo < threshold:
                    place = self.queue.index(index)
                    targets.append((self.queue[max(0, place - 1)], 0, 0))
                if head_hi >= threshold:
                    targets.append((index, 0, 0))  # restarts (the device may cross 3 s meanwhile)
        return False

    def pause_for(self, seconds: float) -> None:
        self.record.paused = True
        self.send(Pause())
        time.sleep(seconds)
        self.send(Resume())

    def observe(self) -> Observation:
        """Read as the bar does: on the player's loop, between its steps."""
        observation = self._run(self._observe())
        self.record.observations.append(observation)
        return observation

    def _state(self) -> str:
        """The player's private state and every thread's stack: why a run hangs."""
        import sys
        import traceback

        player, ring = self.player, self.player.ring
        stacks = {
            thread: "".join(traceback.format_stack(frame))
            for thread, frame in sys._current_frames().items()
        }
        tasks = [task.get_stack() for task in asyncio.all_tasks(self._loop)]
        return (
            f"target {player._target} jump {player._pending_jump} refeed {player._refeed} "
            f"stopping {player._stopping} ring {ring and vars(ring).keys()} "
            f"read {ring and ring.read_position} written {ring and ring.written_frames} "
            f"eos {ring and ring.end_of_stream} paused {ring and ring.paused}\n"
            f"tasks {tasks}\nthreads {stacks}"
        )

    async def _observe(self) -> Observation:
        snapshot = self.player.snapshot
        now = snapshot.now
        track = None if now is None or now.detached else self.queue[now.index]
        return Observation(len(self.output.blocks), snapshot, track)

    def finish(self) -> Record:
        """Let the queue play out (or the stop land), then stop everything."""
        try:
            self.record.report = self._play.result(60)
        except TimeoutError:
            raise AssertionError(f"the run did not end: {self._state()}") from None
        finally:
            self.output.stop()
            self._run(self.client.__aexit__(None, None, None))
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
        self.record.blocks = list(self.output.blocks)
        self.record.starts = list(self.output.starts)
        return self.record


# -- decomposition ---------------------------------------------------------------------------


def _find(
    played: np.ndarray, renders: dict[tuple[int, str], np.ndarray]
) -> tuple[int, str, int, int] | None:
    """The render run that matches the start of ``played`` longest: (index, preset, first
    frame, length). Two tracks may agree for a while; the longer match is the one playing."""
    best: tuple[int, str, int, int] | None = None
    for (index, preset), render in renders.items():
        column = render[:, 0]
        head = np.abs(column[: len(column) - WINDOW + 1] - played[0, 0]) < MATCH
        for start in np.flatnonzero(head):
            stop = min(len(played), len(column) - start)
            differs = np.flatnonzero(
                np.abs(played[:stop, 0] - column[start : start + stop]) >= MATCH
            )
            length = int(differs[0]) if len(differs) else stop
            if length >= WINDOW and (best is None or length > best[3]):
                best = index, preset, int(start), length
    return best


def decompose(
    played: np.ndarray, renders: dict[tuple[int, str], np.ndarray], offset: int
) -> list[Segment | Silence | int]:
    """One device run as render segments, silences, and ints for unmatched (seam) frames."""
    parts: list[Segment | Silence | int] = []
    position = 0
    while position + WINDOW <= len(played):
        if not played[position].any():  # held silence, or a starved block's tail
            end = position + 1
            while end < len(played) and not played[end].any():
                end += 1
            parts.append(Silence(end - position))
            position = end
            continue
        found = _find(played[position:], renders)
        if found is None:
            parts.append(1)
            position += 1
            continue
        index, preset, frame, length = found
        render = renders[(index, preset)]
        # A render's own leading zeros were taken for silence: give them back to it.
        while frame and parts and isinstance(parts[-1], Silence) and not render[frame - 1].any():
            frame, position, length = frame - 1, position - 1, length + 1
            shorter = parts[-1].frames - 1
            parts[-1:] = [Silence(shorter)] if shorter else []
        parts.append(Segment(index, preset, frame, length, offset + position))
        position += int(length)
    if position < len(played):
        parts.append(int(len(played) - position))  # an int, as check() counts them
    return parts


def segments_of(
    record: Record, specs: list[TrackSpec], renders: dict[tuple[int, str], np.ndarray]
) -> list[Segment | Silence | int | None]:
    """The whole capture: each device run decomposed with the renders of its format; None
    marks a device reopen (a format change)."""
    parts: list[Segment | Silence | int | None] = []
    bounds = [first for first, _ in record.starts[1:]] + [len(record.blocks)]
    for (first, rate_hz), last in zip(record.starts, bounds, strict=True):
        if last <= first:
            continue
        played = np.concatenate(record.blocks[first:last])
        offset = sum(len(block) for block in record.blocks[:first])
        usable = {
            (index, preset): render
            for (index, preset), render in renders.items()
            if (specs[index].rate_hz, specs[index].channels) == (rate_hz, played.shape[1])
        }
        if parts:
            parts.append(None)
        parts.extend(decompose(played, usable, offset))
    return parts


# -- the checker -------------------------------------------------------------------------------


def check(
    record: Record, specs: list[TrackSpec], renders: dict[tuple[int, str], np.ndarray]
) -> None:
    parts = segments_of(record, specs, renders)
    segments = [part for part in parts if isinstance(part, Segment)]
    final_moves = [move for move in record.moves if not move.stops]
    lasts = {version.queue[-1] for version in record.queues}  # the last entry, in some version
    ends_at_the_end = bool(final_moves) and all(
        index in lasts and first >= specs[index].total_frames - WINDOW
        for index, first, _ in final_moves[-1].targets
    )
    assert segments or ends_at_the_end or record.stopped, "nothing played"
    steps: list[tuple[Segment, int, int, bool]] = []  # segment, unmatched, silent, reopened
    unmatched, silent, reopened = 0, 0, False
    for part in parts:
        if part is None:
            reopened = True
        elif isinstance(part, Silence):
            silent += part.frames
        elif isinstance(part, int):
            unmatched += part
        else:
            steps.append((part, unmatched, silent, reopened))
            unmatched, silent, reopened = 0, 0, False
    frames_before = np.cumsum([0, *(len(block) for block in record.blocks)])
    sent_before = [int(frames_before[move.sent_blocks]) - BLOCK_FRAMES for move in record.moves]
    deepest: list[str] = [""]
    deepest_step = [0]

    def explain_from(step: int, move_index: int, previous: Segment | None, since_move: int) -> bool:
        """Whether steps[step:] can be explained, given the moves heard so far (a segment
        may fit more than one explanation: a seek to 0 before the first block, say)."""
        if step == len(steps):
            heard_all = _unheard_excused(record.moves[move_index:])
            if not heard_all:
                unheard = [(m.label, m.targets, m.sent_blocks) for m in record.moves[move_index:]]
                deepest[0] = f"never heard: {unheard}; capture {_summary(parts)}"
            return heard_all
        part, unmatched, silent, reopened = steps[step]
        rushed = previous is not None and since_move < specs[previous.index].chunk_frames
        joins = Join(unmatched, silent, reopened, record.paused or record.starvable or rushed)
        options = _explanations(
            part,
            previous,
            joins,
            record.moves,
            move_index,
            sent_before,
            specs,
            record.chosen,
            record.queues,
        )
        if not options and step >= deepest_step[0]:
            deepest_step[0] = step  # the failure that got furthest is the one to report
            deepest[0] = _describe(part, previous, joins, record.moves[move_index:], parts)
        for label, next_move in options:
            run = part.frames + (0 if label in ("target", "start") else since_move)
            if explain_from(step + 1, next_move, part, run):
                return True
        return False

    assert explain_from(0, 0, None, 0), deepest[0]
    if not record.stopped and not ends_at_the_end:
        last = segments[-1]
        assert last.index in lasts and last.end_frame == specs[last.index].total_frames, (
            f"the queue did not play to its end: {_summary(parts)}"
        )
    _check_observations(record, segments)


def _unheard_excused(moves: list[Move]) -> bool:
    """Whether the moves after the last one heard may all go unheard: each was superseded
    before it could be heard, or one of them ended playback (or may have)."""
    for move in moves:
        if move.stops or move.may_stop:
            return True
        if not move.may_be_missed:
            return False
    return True


@dataclass(frozen=True)
class Join:
    """What lies between two segments of the capture."""

    unmatched: int  # frames matching no render: a settings seam's crossfade
    silent: int  # held silence: a pause, or the wait for a jump's first chunk
    reopened: bool  # the device was reopened for another stream format
    # The run had a pause somewhere, or less than a chunk played since the last move: the
    # next track's first chunk may then come after the device ran dry (not gapless).
    may_starve: bool


def _explanations(
    part: Segment,
    previous: Segment | None,
    joins: Join,
    moves: list[Move],
    move_index: int,
    sent_before: list[int],
    specs: list[TrackSpec],
    chosen: list[str],
    queues: list[QueueVersion],
) -> list[tuple[str, int]]:
    """Why ``part`` may follow ``previous``, each with the index of the next move unheard: a
    move's target (the moves before it superseded), a continuation, a settings seam at a
    chunk boundary, the next track from its first frame, or the queue's start."""
    options: list[tuple[str, int]] = []
    landing = round(LANDING_S * specs[part.index].rate_hz)
    for position in range(move_index, len(moves)):
        move = moves[position]
        if part.capture_frame < sent_before[position]:
            break  # audio taken before this move was sent cannot be its target
        if part.preset in chosen[move.chosen_rank :] and any(
            (part.index == index and first - landing <= part.first_frame <= last + landing)
            # a target in a track's last frames (too few to see) goes on into the next track
            or (
                _follows(queues, index, part.index, part.capture_frame)
                and part.first_frame == 0
                and last >= specs[index].total_frames - WINDOW
            )
            for index, first, last in move.targets
        ):
            options.append(("target", position + 1))
        if not move.may_be_missed:
            break
    if previous is not None and part.index == previous.index and not joins.unmatched:
        if part.preset == previous.preset and part.first_frame == previous.end_frame:
            options.append(("continuation", move_index))  # across held silence (a pause) too
    if previous is not None and part.index == previous.index and part.preset != previous.preset:
        # The new plan starts at a chunk boundary; the old tail fades into it for one overlap
        # (the fade's ends may match either render for a few frames).
        chunk = specs[part.index].chunk_frames
        overlap = round(DEFAULT_OVERLAP_SECONDS * specs[part.index].rate_hz)
        boundary = part.first_frame // chunk * chunk
        seam = (
            0 <= previous.end_frame - boundary <= overlap and part.first_frame - boundary <= overlap
        )
        if seam and part.first_frame == previous.end_frame + joins.unmatched + joins.silent:
            if part.preset in chosen:
                options.append(("settings seam", move_index))
    if (
        previous is not None
        and _follows(queues, previous.index, part.index, part.capture_frame)
        and part.first_frame == 0
        and previous.end_frame == specs[previous.index].total_frames
        and not joins.unmatched
        and (not joins.silent or joins.reopened or joins.may_starve)  # gapless in one format
    ):
        options.append(("next track", move_index))
    if previous is None and part.index == queues[0].queue[0] and part.first_frame == 0:
        options.append(("start", move_index))
    return options


def _successor(queue: list[int], track: int) -> int | None:
    """The spec after ``track`` in ``queue`` (None: it is the last, or not in it)."""
    if track not in queue or queue.index(track) + 1 >= len(queue):
        return None
    return queue[queue.index(track) + 1]


def _follows(queues: list[QueueVersion], track: int, following: int, capture_frame: int) -> bool:
    """``following`` comes right after ``track`` in a version of the queue the player had
    when it began ``following`` at ``capture_frame``: the version then, or one before it if
    the edit came so close to the track's start that the player kept what it had fed
    (``SWITCH_SAFETY_FRAMES``)."""
    ends = [version.by_frame for version in queues[1:]] + [capture_frame]
    for position, (version, end) in enumerate(zip(queues, ends, strict=True)):
        queue = version.queue
        if track in queue:
            successor = _successor(queue, track)
        else:  # deleted while it played: what followed it, where it is now
            earlier = [v.queue for v in queues[:position] if track in v.queue]
            after = earlier[-1][earlier[-1].index(track) + 1 :] if earlier else []
            places = [queue.index(entry) for entry in after if entry in queue]
            successor = queue[min(places)] if places else None
            end = capture_frame  # the deleted track decides when it ends: any time after
        live = version.from_frame <= capture_frame <= end + SWITCH_SAFETY_FRAMES + 2 * BLOCK_FRAMES
        if live and successor == following:
            return True
    return False


def _summary(parts: list[Any]) -> list[str]:
    return [
        f"{p.index}:{p.preset}:{p.first_frame}+{p.frames}"
        if isinstance(p, Segment)
        else f"silence {p.frames}"
        if isinstance(p, Silence)
        else "reopen"
        if p is None
        else f"?{p}"
        for p in parts
    ]


def _describe(
    part: Segment, previous: Segment | None, joins: Join, moves: list[Move], parts: list[Any]
) -> str:
    upcoming = [(move.label, move.targets, move.may_be_missed) for move in moves[:3]]
    return (
        f"unexplained {part} after {previous} ({joins}); next moves {upcoming}; "
        f"capture {_summary(parts)}"
    )


def _check_observations(record: Record, segments: list[Segment]) -> None:
    """The snapshot names the track and position the capture was taking (±one block)."""
    frames_before = np.cumsum([0, *(len(block) for block in record.blocks)])
    for observation in record.observations:
        now, state = observation.snapshot.now, observation.snapshot.state
        if now is None or state != "playing" or observation.track is None:
            continue
        taken = int(frames_before[min(observation.capture_blocks, len(record.blocks))])
        # Only where the device is inside a run of one render (at an edge it has taken one
        # thing and is about to take another, and the snapshot may name either). The
        # snapshot's place must be played within one block of there: the device thread may
        # have read a block it has not yet handed to the capture.
        if not any(seg.capture_frame < taken < seg.capture_frame + seg.frames for seg in segments):
            continue
        claimed = now.position_frame
        assert any(
            seg.index == observation.track
            and seg.first_frame <= claimed <= seg.end_frame
            and abs(seg.capture_frame + claimed - seg.first_frame - taken) <= BLOCK_FRAMES
            for seg in segments
        ), f"snapshot at entry {now.index} frame {claimed}, capture frame {taken}: {segments}"
