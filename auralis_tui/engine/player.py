"""Headless playback: fetch chunks K ahead, join them, feed the output's ring buffer.

Tracks in a queue join gaplessly (the next track's first frame follows the last frame of
the one before), or with an equal-power crossfade of ``crossfade_s``. A start offset or a
seek plays from the chunk holding it, mid-chunk. A preset or intensity change keeps what is
buffered up to the next chunk boundary not yet playing — in the playing track, or else at
the start of the next track already buffered — refetches from there with the new settings,
and crossfades the old plan's overlap tail into the new plan's head, so the switch is
seamless.

The player owns its state: a run (``play``) is a task group holding the play loop, the one
feeder and the command task. Others ``send`` it commands (commands.py), which the command
task applies in order; jumps, stops and setting changes leave the loop a request and cancel
the feeder, so two feeders never write one ring and none outlives a jump. What it is doing
is read as one immutable ``PlayerSnapshot``.

What follows what is the play order's (play_order.py: shuffle, repeat). A queue edit or a
mode change (commands too) keeps the tracks already fed that still follow, and cuts the ring
where the first that does not starts, so the new next track joins gaplessly and nothing
kept is fetched again. Tracks about to start (``SWITCH_SAFETY_FRAMES``) or joined by a
crossfade are kept as fed. A deleted playing track plays to its end (``FedTrack.detached``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Hashable
from typing import Any

from auralis_tui.api import AuralisClient, ClientError, StreamRequest, TrackUnavailable
from auralis_tui.engine.commands import (
    Append,
    Clear,
    Command,
    Delete,
    InsertNext,
    Jump,
    Move,
    Pause,
    QueueEdit,
    Resume,
    SeekBy,
    SeekTo,
    SetMode,
    SetSettings,
    SetVolume,
    Skip,
    Stop,
)
from auralis_tui.engine.joiner import ChunkJoiner
from auralis_tui.engine.navigation import seek_destination_s, skip_destination
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.play_order import PlayMode, PlayOrder
from auralis_tui.engine.queue_edits import apply_edit, slot_after
from auralis_tui.engine.ring_buffer import RingBuffer
from auralis_tui.engine.ring_writer import RingWriter
from auralis_tui.engine.switch import SWITCH_SAFETY_FRAMES, Refeed, switch_point
from auralis_tui.engine.timeline import (
    FedTrack,
    NowPlaying,
    Timeline,
    geometry_of,
    starting_at,
)
from auralis_tui.engine.tracks import TrackDirectory
from auralis_tui.engine.types import PlaybackReport, PlaybackSettings, PlayerSnapshot
from shared.geometry import ChunkGeometry

log = logging.getLogger("auralis.player")

_Pending = tuple[Command, "asyncio.Future[None]"]
_END = -1  # a queue index meaning "nothing follows": the run ends after what is written


class Player:
    def __init__(
        self,
        client: AuralisClient,
        output: Output,
        *,
        prefetch_chunks: int = 3,
        crossfade_s: float = 0.0,
        settings: PlaybackSettings | None = None,
        volume: float = 1.0,
        mode: PlayMode | None = None,
        paused: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.output = output
        self.prefetch_chunks = max(1, prefetch_chunks)
        self.crossfade_s = max(0.0, crossfade_s)
        self.settings = settings or PlaybackSettings()
        self._writer: RingWriter | None = None  # the ring of the current stream format
        self.queue: list[int] = []
        self._volume = min(1.0, max(0.0, volume))
        self._paused = paused  # a run may start paused (resume on start): silent until Resume
        self._current: FedTrack | None = None  # the track being fed
        self._timeline = Timeline()  # where each fed track sits in the ring
        self._refeed: Refeed | None = None  # a settings change waiting for the loop
        self._pending_jump: tuple[int, float] | None = None  # (queue index, start seconds) to go to
        # The latest jump's target until its track is set up: what the listener hears next,
        # so a second seek or skip in the same batch counts from it, not from the old buffer.
        self._target: tuple[int, float] | None = None
        self._stopping = False
        self.notice: str | None = None  # the last track problem, one line for the bar
        self._tracks = TrackDirectory(client)
        self._loudness: dict[int, str] = {}  # track id -> the loudness mode it was fetched in
        self._feeder: asyncio.Task[ClientError | None] | None = None
        self._group: asyncio.TaskGroup | None = None  # the running play()'s tasks
        self._commands: asyncio.Queue[_Pending] = asyncio.Queue()
        self._ended = False  # the last run played to its end (or `next` on its last track)
        self._before_run = True  # commands wait in the queue for the run about to start
        # What plays after what (shuffle, repeat), and each track's album for album shuffle.
        self._order = PlayOrder(0, mode or PlayMode(), self._album_of, rng or random.Random())
        self._albums: dict[int, Hashable | None] = {}
        # After a queue edit or a mode change: the queue index the loop goes on with once
        # what is written has been (_END: none), instead of what it had decided before.
        self._resume_at: int | None = None

    @property
    def mode(self) -> PlayMode:
        return self._order.mode

    @property
    def ring(self) -> RingBuffer | None:
        return None if self._writer is None else self._writer.ring

    # -- playing ----------------------------------------------------------------------------

    async def play(
        self,
        track_ids: list[int],
        start_s: float = 0.0,
        start_index: int = 0,
        *,
        linger: bool = False,
    ) -> PlaybackReport:
        """Play the queue from ``start_index`` (``start_s`` into it); returns when all is written.

        A skip or a seek (``Jump``) restarts the loop at another track or offset. With
        ``linger`` it returns only once the device has played everything, so a jump during
        the last track's final seconds still works (what an interactive player needs).
        """
        outcome: PlaybackReport | ClientError
        self._ended = False
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                commands = group.create_task(self._serve_commands())
                try:
                    outcome = await self._run(track_ids, start_s, start_index, linger)
                except ClientError as exc:
                    outcome = exc  # raised below: in the group it would be an ExceptionGroup
                finally:
                    commands.cancel()
                    self._group = None
                    if self._writer is not None:
                        self._writer.ring.closed = True  # the run writes no more
                    self._before_run = False
                    self._settle_commands()
        except asyncio.CancelledError:
            # Its tasks are done. A cancelled run's traceback outlives it (a UI may keep it):
            # the ring and the timeline go with the run, not with whoever holds the traceback.
            self._writer, self._timeline, self._current = None, Timeline(), None
            raise
        if isinstance(outcome, ClientError):
            raise outcome
        self._ended = True
        return outcome

    async def _run(
        self, track_ids: list[int], start_s: float, start_index: int, linger: bool
    ) -> PlaybackReport:
        report = PlaybackReport()
        self.queue = list(track_ids)
        self._pending_jump, self._stopping, self._refeed = None, False, None
        self._resume_at = None
        # Where the listener will be until the first track is set up: a seek pressed right
        # after Enter counts from here (commands sent before the run waited in the queue).
        self._target = (start_index, start_s) if 0 <= start_index < len(self.queue) else None
        self._order.length = len(self.queue)
        if self._order.mode.shuffle == "albums":
            await self._learn_albums()
        self._order.begin(start_index if self._target is not None else None)
        index, first = await self._first_playable(start_index, report)
        if first is None:
            raise ClientError("; ".join(report.problems) or "nothing to play")
        geometry = geometry_of(first)
        assert geometry is not None
        rate_hz, channels = geometry.sample_rate_hz, first["channels"]
        self._open(geometry, channels)
        offset_s = start_s if index == start_index else 0.0
        unplayable = 0  # tracks skipped in a row: a queue of none playable ends, repeat or not
        while not self._stopping:
            if self._pending_jump is not None:  # a jump brought a lingering loop back
                (index, offset_s), self._pending_jump = self._pending_jump, None
            while not self._stopping:
                # Asked for while the last track was being set up.
                if self._pending_jump is not None:
                    (index, offset_s), self._pending_jump = self._pending_jump, None
                    continue
                if self._resume_at is not None:  # the queue or the mode changed what follows
                    index, offset_s, self._resume_at = self._resume_at, 0.0, None
                    continue
                if self._refeed is not None:
                    index, offset_s = await self._rewrite(self._refeed, report), 0.0
                    continue
                if not 0 <= index < len(self.queue):
                    break
                track_id = self.queue[index]
                track = await self._playable(track_id, report)
                shape = geometry_of(track) if track is not None else None
                if self._asked():
                    continue  # the queue may have changed under ``index`` meanwhile
                if track is None or shape is None:
                    unplayable += 1
                    following = self._order.following(index, by_itself=False)
                    index = (
                        _END if following is None or unplayable >= len(self.queue) else following
                    )
                    offset_s = 0.0
                    continue
                if (shape.sample_rate_hz, track["channels"]) != (rate_hz, channels):
                    # Another stream format: the device is reopened at this track boundary
                    # once it has played what it has (gapless holds between same formats).
                    if not await self._reopen(shape, track["channels"], report):
                        continue
                    rate_hz, channels = shape.sample_rate_hz, track["channels"]
                if self._asked():
                    continue
                unplayable = 0
                follows = self._order.following(index, by_itself=True) is not None
                fade = round(self.crossfade_s * rate_hz) if follows else 0
                self._current = FedTrack(index, track_id, shape, fade)
                self._current.anchor_written = self.ring.written_frames
                self._timeline.add(self._current, self.ring.read_position)
                self._order.commit(index)  # with the timeline: a drop from it retracts it
                self._target = None  # the track is set up: the timeline knows where it plays
                start_frame = min(max(0, round(offset_s * rate_hz)), shape.total_frames - 1)
                self._current.anchor_frame = start_frame
                if await self._feed_entry(self._current, start_frame, ChunkJoiner(), report):
                    report.tracks.append(track_id)
                index, offset_s = self._after(self._current), 0.0
            if self._stopping:
                break
            await self._writer.finish()
            if not linger:
                break
            # Stay until the device has played it all, or a jump brings the loop back.
            await self._writer.played_out(self._idle_until_asked)
            # A command sent before the end may still wait for a target's metadata: it is
            # applied before the run decides it is over (else the key press is lost).
            await self._commands.join()
            if not self._asked():
                break
            self.ring.end_of_stream = False
        self._account(report)
        return report

    async def _playable(self, track_id: int, report: PlaybackReport) -> dict[str, Any] | None:
        """The track's metadata if it can be played; else None, and the reason is reported."""
        track, reason = await self._tracks.playable(track_id)
        if track is not None:
            return track
        self.notice = f"track {track_id} skipped: {reason}"
        report.problems.append(self.notice)
        log.warning("%s", self.notice)
        return None

    async def _first_playable(
        self, start_index: int, report: PlaybackReport
    ) -> tuple[int, dict[str, Any] | None]:
        index: int | None = start_index
        for _ in range(len(self.queue)):
            if index is None or not 0 <= index < len(self.queue):
                break
            track = await self._playable(self.queue[index], report)
            if track is not None:
                return index, track
            index = self._order.following(index, by_itself=False)
        return len(self.queue), None

    def _after(self, entry: FedTrack) -> int:
        """The queue index fed after ``entry`` when it ends by itself (_END: none)."""
        following = self._order.following(entry.index, by_itself=True, detached=entry.detached)
        return _END if following is None else following

    def _album_of(self, index: int) -> Hashable | None:
        """Entry ``index``'s album key for album shuffle (None: a group of its own)."""
        track_id = self.queue[index]
        if track_id not in self._albums:
            self._albums[track_id] = _album_key(self._tracks.known(track_id))
        return self._albums[track_id]

    async def _loudness_mode(self, entry: FedTrack) -> str:
        """``album`` when the entry and a queue neighbour are one album in track order (MPD's
        replaygain ``auto``, decided here since only the client knows its order), else
        ``track``; a track shuffle is in no album's order. Decided once per feed."""
        mode = "track"
        if self._order.mode.shuffle != "tracks" and not entry.detached:
            index = entry.index
            for first, second in ((index - 1, index), (index, index + 1)):
                if 0 <= first and second < len(self.queue):
                    tracks = [
                        (await self._tracks.playable(self.queue[i]))[0] for i in (first, second)
                    ]
                    if in_album_order(tracks[0], tracks[1]):
                        mode = "album"
                        break
        self._loudness[entry.track_id] = mode
        return mode

    async def _learn_albums(self) -> None:
        """Fetch the albums of the queue's tracks not known yet, a page per request; a server
        that cannot say leaves them one-track albums."""
        unknown = list({track_id for track_id in self.queue if track_id not in self._albums})
        with contextlib.suppress(ClientError):
            for track in await self.client.tracks_by_id(unknown):
                self._albums[int(track["id"])] = _album_key(track)

    async def _reopen(self, shape: ChunkGeometry, channels: int, report: PlaybackReport) -> bool:
        """Let the device play out, then a new ring and device stream in the new format;
        False if a settings change came first (it rewrites this ring's future: the loop
        applies it, and reaches this track again after)."""
        assert self._writer is not None
        await self._writer.finish()
        # A queue edit meanwhile changes what comes after, not that this ring plays out.
        await self._writer.played_out(self._no_move_asked)
        if self._refeed is not None and self._pending_jump is None and not self._stopping:
            return False
        if self._writer.started:
            self.output.stop()
        self._account(report)
        self._open(shape, channels)
        self._refeed = None  # a jump drops the old ring's future anyway
        return True

    def _open(self, geometry: ChunkGeometry, channels: int) -> None:
        """A ring for ``prefetch_chunks`` + 1 chunks of this format, and an empty timeline."""
        ring = RingBuffer(geometry.chunk_frames * (self.prefetch_chunks + 1), channels)
        ring.volume, ring.paused = self._volume, self._paused  # a pause outlasts a reopen
        self._writer = RingWriter(ring, self.output, geometry.sample_rate_hz)
        self._timeline = Timeline()

    def _account(self, report: PlaybackReport) -> None:
        """Add this ring's totals to the report (a run may use one ring per stream format)."""
        assert self._writer is not None
        ring = self._writer.ring
        report.frames_played += ring.written_frames
        report.seconds_played += ring.written_frames / self._writer.rate_hz
        report.underruns += ring.underruns + ring.device_underruns

    def _idle_until_asked(self) -> bool:
        return not self._asked() and not self._stopping

    def _no_move_asked(self) -> bool:
        return self._pending_jump is None and self._refeed is None and not self._stopping

    def _asked(self) -> bool:
        """A request waits for the loop: a jump, a settings rewrite, or a new way on."""
        return (
            self._pending_jump is not None
            or self._refeed is not None
            or self._resume_at is not None
        )

    async def _feed_entry(
        self, entry: FedTrack, start_frame: int, joiner: ChunkJoiner, report: PlaybackReport
    ) -> bool:
        """Feed ``entry`` from ``start_frame`` to its end; False if a request cut it short."""
        assert self._group is not None
        self._current = entry
        self._feeder = self._group.create_task(self._feed_outcome(start_frame, joiner))
        try:
            failure = await self._feeder
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._idle_until_asked() or (task is not None and task.cancelling()):
                raise  # the run itself was cancelled, not only the feeder by a request
            return False
        if isinstance(failure, TrackUnavailable):
            # Deleted or rewritten while playing: what is buffered plays out, and the queue
            # goes on with the next track.
            self.notice = f"track {entry.track_id} stopped early: {failure}"
            report.problems.append(self.notice)
            log.warning("%s", self.notice)
            return False
        if failure is not None:
            raise failure
        # Fed to its end; a move asked for meanwhile cut it short (a new way on does not).
        return self._no_move_asked()

    async def _feed_outcome(self, start_frame: int, joiner: ChunkJoiner) -> ClientError | None:
        """The feeder's task: a client error is its result (a task group would cancel the
        whole run on an exception), for the loop to decide what it means."""
        try:
            await self._feed(start_frame, joiner)
        except ClientError as exc:
            return exc
        return None

    async def _rewrite(self, refeed: Refeed, report: PlaybackReport) -> int:
        """Apply a settings change: feed the track again from the switch point, and return
        the queue index to continue with."""
        self._refeed = None  # the ring was cut at the switch point when it was asked for
        entry = refeed.entry
        await self._feed_entry(entry, refeed.start_frame, refeed.joiner, report)
        return self._after(entry)

    async def _feed(self, start_frame: int, joiner: ChunkJoiner) -> None:
        current = self._current
        assert current is not None
        geometry = current.geometry
        count = geometry.chunk_count
        next_chunk = geometry.chunk_at_frame(start_frame)
        skip = start_frame - geometry.core_bounds(next_chunk)[0]
        loudness = await self._loudness_mode(current)
        while next_chunk < count:
            last = min(next_chunk + self.prefetch_chunks - 1, count - 1)
            settings = self.settings
            first_frame = max(start_frame, geometry.core_bounds(next_chunk)[0])
            current.mark_settings(current.written_at(first_frame), settings)
            request = StreamRequest(
                current.track_id,
                next_chunk,
                last,
                settings.preset,
                settings.intensity,
                loudness=loudness,
            )
            async with contextlib.aclosing(self.client.frames(request)) as frames:
                async for frame in frames:
                    if self.settings != settings:
                        # Asked for since the request, and none of this chunk is written: from
                        # here on with the new settings (else the rest of the window, up to
                        # ``prefetch_chunks`` chunks, would still play the old ones).
                        break
                    index = frame.header.chunk_index
                    samples = joiner.feed(frame)
                    current.tails[index] = frame.tail.copy()  # a view would keep the chunk
                    current.tails.pop(index - self.prefetch_chunks - 2, None)
                    if skip:
                        samples, skip = samples[skip:], 0
                    await self._writer.emit(
                        samples, current.fade_frames, last_of_track=index == count - 1
                    )
                    next_chunk = index + 1

    # -- what is playing --------------------------------------------------------------------

    def _pending_target(self) -> NowPlaying | None:
        """Where the latest jump will play from, once its track's metadata is known."""
        if self._target is None:
            return None
        index, start_s = self._target
        if not 0 <= index < len(self.queue):
            return None
        track_id = self.queue[index]
        geometry = geometry_of(self._tracks.known(track_id) or {})
        if geometry is None:
            return None
        return starting_at(index, track_id, geometry, start_s, self.settings)

    @property
    def now_playing(self) -> NowPlaying | None:
        """What the device is taking now, or, while a jump is pending, where it will start."""
        if self._target is not None:
            return self._pending_target()
        if self._writer is None:
            return None
        return self._timeline.now(self._writer.ring.read_position, self._writer.rate_hz)

    @property
    def position_frame(self) -> int | None:
        """The playing track's frame the device is taking now."""
        now = self.now_playing
        return None if now is None else now.position_frame

    @property
    def underruns(self) -> int:
        return 0 if self.ring is None else self.ring.underruns + self.ring.device_underruns

    @property
    def started(self) -> bool:
        """The output is running (the first chunk was buffered)."""
        return self._writer is not None and self._writer.started

    @property
    def finished(self) -> bool:
        """Everything was written and the device has taken it."""
        ring = self.ring
        return ring is not None and ring.end_of_stream and not ring.available_frames

    @property
    def snapshot(self) -> PlayerSnapshot:
        """What the device is playing and how, read once (the bar renders only this)."""
        ring = self.ring
        now = self.now_playing
        if ring is None or (now is None and self._ended):
            state = "ended" if self._ended else "buffering" if self._group else "idle"
        elif ring.paused:
            state = "paused"
        elif self._target is not None or ring.holding or not self.started:
            state = "buffering"  # held silence until a target's first frames are in
        elif self._ended and self.finished:
            state = "ended"
        else:
            state = "playing"
        buffered = 0.0 if now is None or ring is None else ring.available_frames / now.chunk_frames
        loudness = "track" if now is None else self._loudness.get(now.track_id, "track")
        return PlayerSnapshot(
            state, now, self.settings, buffered, self.underruns, self.notice, loudness
        )

    # -- commands ---------------------------------------------------------------------------

    async def send(self, command: Command) -> None:
        """Have the player apply ``command``; returns once it has (in order with others)."""
        if self._group is None and not self._before_run:
            self._apply(command)  # the run is over: settings and volume only
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._commands.put_nowait((command, done))
        await done

    def post(self, command: Command) -> None:
        """``send`` without waiting for it (a key handler that need not know the outcome)."""
        if self._group is None and not self._before_run:
            self._apply(command)
        else:
            self._commands.put_nowait((command, asyncio.get_running_loop().create_future()))

    async def _serve_commands(self) -> None:
        """The run's command task: one command at a time, between the loop's awaits."""
        while True:
            command, done = await self._commands.get()
            try:
                if isinstance(command, SeekBy | SeekTo | Skip) and self._target is not None:
                    await self._learn_target()
                if isinstance(command, SetMode) and command.mode.shuffle == "albums":
                    await self._learn_albums()
                self._apply(command)
            finally:
                if not done.done():
                    done.set_result(None)
                self._commands.task_done()

    async def _learn_target(self) -> None:
        """Fetch the pending target's metadata: a seek or skip right after a jump counts from
        the target, whose length it needs (the commands after it wait their turn)."""
        assert self._target is not None
        with contextlib.suppress(ClientError):  # unreachable: the command finds nothing to move
            await self._tracks.playable(self.queue[self._target[0]])

    def _settle_commands(self) -> None:
        """At the end of a run: what was still queued applies to settings and volume only."""
        while not self._commands.empty():
            command, done = self._commands.get_nowait()
            if isinstance(command, SetSettings | SetVolume | SetMode | QueueEdit):
                self._apply(command)
            if not done.done():
                done.set_result(None)
            self._commands.task_done()

    def _apply(self, command: Command) -> None:
        match command:
            case Jump(index, start_s):
                self._jump_to(index, start_s)
            case Skip(step):
                self._skip(step)
            case SeekTo(seconds):
                self._seek_to(seconds)
            case SeekBy(delta_s):
                self._seek_by(delta_s)
            case SetSettings(settings):
                self._change_settings(settings)
            case Pause() | Resume():
                self._paused = isinstance(command, Pause)
                if self.ring is not None:
                    self.ring.paused = self._paused
            case SetVolume(volume):
                self._volume = min(1.0, max(0.0, volume))
                if self.ring is not None:
                    self.ring.volume = self._volume  # the device's reader: within a block
            case Stop():
                self._stop()
            case SetMode(mode):
                self._set_mode(mode)
            case Delete() | Move() | Clear() | InsertNext() | Append():
                self._edit(command)

    def _jump_to(self, index: int, start_s: float = 0.0) -> None:
        """Drop what is buffered and play queue entry ``index`` from ``start_s``."""
        if self._group is None or not 0 <= index < len(self.queue):
            return
        self._pending_jump = self._target = (index, start_s)
        if self._writer is None:
            return  # the run is starting: its loop takes the jump once the device is open
        # No await from here on: the old feeder cannot write again before it is cancelled.
        ring = self._writer.ring
        self._drop_ahead()  # tracks not reached go with the buffer
        self._order.jumping_to(index)
        self._refeed, self._writer.held, self._resume_at = None, None, None
        ring.clear()
        if self._feeder is not None:
            self._feeder.cancel()  # a feeder already done ignores this; the loop sees the jump

    def _stop(self) -> None:
        if self._group is None:
            return
        self._pending_jump, self._target, self._refeed, self._stopping = None, None, None, True
        self._resume_at = None
        if self._writer is None:
            return
        self._writer.held = None
        self._writer.ring.clear()
        self._writer.ring.end_of_stream = True
        self._timeline = Timeline()  # nothing is playing any more
        if self._feeder is not None:
            self._feeder.cancel()

    def _skip(self, step: int) -> None:
        now = self.now_playing
        if now is None:
            return
        self._drop_ahead()  # the history then ends with what the listener hears
        destination = skip_destination(now, step, self._order)
        if destination is not None:
            self._jump_to(destination)
        elif step > 0:
            self._stop()  # `next` with nothing after it

    def _drop_ahead(self) -> None:
        """Forget the tracks fed after the one the device plays (a move drops their audio)."""
        if self._writer is not None:
            self._forget(self._timeline.keep_until(self._writer.ring.read_position))

    def _forget(self, dropped: list[FedTrack]) -> None:
        for _ in dropped:
            self._order.retract()

    def _seek_by(self, delta_s: float) -> None:
        now = self.now_playing  # a jump still pending counts: two seeks in a batch add up
        if now is not None:
            self._seek_to(now.position_frame / now.rate_hz + delta_s)

    def _seek_to(self, seconds: float) -> None:
        now = self.now_playing
        if now is not None and not now.detached:  # a deleted track has no queue entry to seek
            self._jump_to(now.index, seek_destination_s(now, seconds))

    def _change_settings(self, settings: PlaybackSettings) -> None:
        """From the next chunk boundary the device has not reached: in the playing track,
        or else from the start of the next buffered track (tracks joined by a crossfade keep
        what is buffered: their heads hold the fade)."""
        self.settings = settings
        if self.ring is None or self._target is not None or self._group is None:
            return  # nothing buffered yet, or a jump will fetch with the new settings
        refeed = switch_point(
            self._timeline,
            self.ring.read_position,
            self.ring.written_frames,
            crossfading=self.crossfade_s > 0,
        )
        if refeed is None:
            return  # nothing buffered past a boundary: the feeder re-asks with the settings
        # Cut the old settings' future now, while the device is still a safety margin short
        # of the switch point (the loop may be busy; the device would not wait for it).
        switch_at = refeed.entry.written_at(refeed.start_frame)
        assert self._writer is not None
        self._writer.ring.truncate(switch_at)
        self._writer.ring.end_of_stream = False  # more follows, also after a finish()
        self._forget(self._timeline.keep_until(switch_at))
        self._writer.held = None
        self._refeed = refeed  # the loop feeds from there; the feeder stops writing now
        self._resume_at = None  # the rewrite decides anew what follows its track
        if self._feeder is not None:
            self._feeder.cancel()

    # -- what follows: play modes and queue edits -----------------------------------------

    def _playing_entry(self) -> tuple[int | None, bool]:
        """(queue index, deleted while playing) of what the listener hears, or of a jump's
        target; (None, False) when nothing plays (before or after a run)."""
        if self._group is None:
            return None, False
        if self._target is not None:
            return self._target[0], False
        if self._writer is None:
            return None, False
        entry = self._timeline.playing_at(self._writer.ring.read_position)
        return (None, False) if entry is None else (entry.index, entry.detached)

    def _committed_entry(self) -> tuple[int | None, bool]:
        """Like ``_playing_entry``, but the last of the tracks fed after the playing one that
        can no longer be cut (``_fixed``)."""
        playing, deleted = self._playing_entry()
        writer = self._writer
        if self._target is not None or writer is None or playing is None:
            return playing, deleted
        entry = self._timeline.playing_at(writer.ring.read_position)
        assert entry is not None
        for following in self._timeline.after(entry):
            if not self._fixed(following):
                break
            entry = following
        return entry.index, entry.detached

    def _fixed(self, entry: FedTrack) -> bool:
        """Too close to the play head to cut safely, or joined by a crossfade (the fade needs
        the tail already mixed into its head): such a track stays as fed."""
        assert self._writer is not None
        return (
            entry.anchor_written < self._writer.ring.read_position + SWITCH_SAFETY_FRAMES
            or self.crossfade_s > 0
        )

    def _set_mode(self, mode: PlayMode) -> None:
        playing, deleted = self._playing_entry()
        self._reconsider(lambda: self._order.set_mode(mode, None if deleted else playing))

    def _edit(self, edit: QueueEdit) -> None:
        """Apply a queue edit; everything naming queue entries moves along with them.

        Play next inserts after the last track the device is committed to (one about to
        start, or joined by a crossfade): it is as good as playing, and an entry inserted
        before it would never be heard."""
        playing, deleted = (
            self._committed_entry() if isinstance(edit, InsertNext) else self._playing_entry()
        )
        edited = apply_edit(self.queue, edit, playing, detached=deleted)

        def moved(index: int, detached: bool) -> tuple[int, bool]:
            length = len(edited.queue)
            if detached and edited.play_next and edited.added:
                return edited.added[0], True  # inserted where the deleted track stood
            if detached:
                return slot_after(edited.moved, index, length), True
            if not 0 <= index < len(edited.moved):
                return index, False
            if edited.moved[index] is not None:
                return edited.moved[index], False  # type: ignore[return-value]
            return slot_after(edited.moved, index + 1, length), True

        def change() -> None:
            self.queue[:] = edited.queue
            self._order.remap(edited.moved, edited.added, play_next=edited.play_next)
            entries = self._timeline.entries
            current = self._current
            if current is not None and all(entry is not current for entry in entries):
                entries = [*entries, current]  # fed into the ring before a reopen
            for entry in entries:
                entry.index, entry.detached = moved(entry.index, entry.detached)
            if self._target is not None:
                index, detached = moved(self._target[0], False)
                # A deleted target: what followed it, from its start (or the end).
                self._target = (index, 0.0 if detached else self._target[1])
                # The loop may be setting the old index up: it takes the target again.
                self._pending_jump = self._target
                if index >= len(self.queue):
                    self._target = None

        self._reconsider(change)

    def _reconsider(self, change: Callable[[], None]) -> None:
        """Apply ``change`` to what follows what; keep the tracks already fed that still
        follow, and cut the ring where the first that does not starts (gapless: the loop
        feeds what now follows from there). Nothing kept is fetched again."""
        writer = self._writer
        if self._group is None or writer is None or self._target is not None:
            change()  # nothing set up yet: the loop decides from the new state
            return
        playing = self._timeline.playing_at(writer.ring.read_position)
        ahead = self._timeline.after(playing) if playing is not None else []
        for _ in ahead:
            self._order.retract()  # as if not fed: the order decides again what follows
        change()
        if playing is None:  # a new ring, nothing set up in it yet: the loop is between tracks
            if self._current is not None:
                self._resume_at = self._after(self._current)
            return
        previous = playing
        for entry in ahead:
            wanted = self._after(previous)
            if not self._fixed(entry) and (entry.detached or wanted != entry.index):
                self._cut(entry, wanted)
                return
            self._order.commit(None if entry.detached else entry.index)
            previous = entry
        feeding = self._feeder is not None and not self._feeder.done()
        if not (feeding and self._current is previous):
            # The loop had decided before the change (the ring's end mark is the loop's to
            # lift: the next track may need a ring of another format).
            self._resume_at = self._after(previous)

    def _cut(self, entry: FedTrack, following: int) -> None:
        """Drop ``entry`` and what was fed after it; the loop feeds ``following`` from there."""
        assert self._writer is not None
        ring = self._writer.ring
        ring.truncate(entry.anchor_written)
        ring.end_of_stream = False  # more follows, also after a finish()
        dropped = self._timeline.drop_from(entry)  # retracted from the order already
        if self._refeed is not None and self._refeed.entry in dropped:
            self._refeed = None
        self._writer.held = None
        self._resume_at = following
        if self._feeder is not None:
            self._feeder.cancel()

    async def drain(self) -> None:
        """Wait until the device has taken everything written (then it may be stopped)."""
        while self.ring is not None and self.ring.available_frames:
            await asyncio.sleep(0.01)


def in_album_order(first: dict[str, Any] | None, second: dict[str, Any] | None) -> bool:
    """Whether ``second`` follows ``first`` on one album (the server's album key, the
    ``album`` tag): same tag, and a later (disc, track number)."""
    if not first or not second or not first.get("album") or first["album"] != second.get("album"):
        return False
    if first.get("track_no") is None or second.get("track_no") is None:
        return False
    return (first.get("disc_no") or 1, first["track_no"]) < (
        second.get("disc_no") or 1,
        second["track_no"],
    )


def _album_key(track: dict[str, Any] | None) -> Hashable | None:
    """Which album a track belongs to for album shuffle (None: untagged, its own album)."""
    if not track or not track.get("album"):
        return None
    return (track.get("album_artist") or track.get("artist") or "", track["album"])
