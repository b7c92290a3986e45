"""Headless playback: fetch chunks K ahead, join them, feed the output's ring buffer.

Tracks in a queue join gaplessly (the next track's first frame follows the last frame of
the one before), or with an equal-power crossfade of ``crossfade_s``. A start offset or a
seek plays from the chunk holding it, mid-chunk. A preset or intensity change keeps what is
buffered up to the next chunk boundary not yet playing — in the playing track, or else at
the start of the next track already buffered — refetches from there with the new settings,
and crossfades the old plan's overlap tail into the new plan's head, so the switch is
seamless. Only the ``play`` loop feeds the ring: jumps, stops and setting changes leave it a
request and cancel the feeder, so two feeders never write one ring.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from auralis_tui.api import AuralisClient, ClientError, StreamRequest, TrackUnavailable
from auralis_tui.engine.joiner import ChunkJoiner
from auralis_tui.engine.navigation import seek_destination_s, skip_destination
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.ring_buffer import RingBuffer
from auralis_tui.engine.ring_writer import RingWriter
from auralis_tui.engine.switch import Refeed, switch_point
from auralis_tui.engine.timeline import (
    FedTrack,
    NowPlaying,
    Timeline,
    geometry_of,
    starting_at,
)
from auralis_tui.engine.tracks import TrackDirectory
from auralis_tui.engine.types import PlaybackReport, PlaybackSettings
from shared.geometry import ChunkGeometry

log = logging.getLogger("auralis.player")


class Player:
    def __init__(
        self,
        client: AuralisClient,
        output: Output,
        *,
        prefetch_chunks: int = 3,
        crossfade_s: float = 0.0,
        settings: PlaybackSettings | None = None,
    ) -> None:
        self.client = client
        self.output = output
        self.prefetch_chunks = max(1, prefetch_chunks)
        self.crossfade_s = max(0.0, crossfade_s)
        self.settings = settings or PlaybackSettings()
        self._writer: RingWriter | None = None  # the ring of the current stream format
        self.queue: list[int] = []
        self._volume = 1.0
        self._current: FedTrack | None = None  # the track being fed
        self._timeline = Timeline()  # where each fed track sits in the ring
        self._refeed: Refeed | None = None  # a settings change waiting for the loop
        self._jump: tuple[int, float] | None = None  # (queue index, start seconds) to go to
        # The latest jump's target until its track is set up: what the listener hears next,
        # so a second seek or skip in the same batch counts from it, not from the old buffer.
        self._target: tuple[int, float] | None = None
        self._stopping = False
        self.notice: str | None = None  # the last track problem, one line for the bar
        self._tracks = TrackDirectory(client)
        self._feeder: asyncio.Task[None] | None = None

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

        A skip or a seek (``jump``) restarts the loop at another track or offset. With
        ``linger`` it returns only once the device has played everything, so a jump during
        the last track's final seconds still works (what an interactive player needs).
        """
        report = PlaybackReport()
        self.queue = list(track_ids)
        index, first = await self._first_playable(start_index, report)
        if first is None:
            raise ClientError("; ".join(report.problems) or "nothing to play")
        geometry = geometry_of(first)
        assert geometry is not None
        rate_hz, channels = geometry.sample_rate_hz, first["channels"]
        self._open(geometry, channels)
        offset_s = start_s if index == start_index else 0.0
        self._jump, self._target, self._stopping, self._refeed = None, None, False, None
        while not self._stopping:
            if self._jump is not None:  # a jump brought a lingering loop back
                (index, offset_s), self._jump = self._jump, None
            while not self._stopping:
                if self._jump is not None:  # asked for while the last track was being set up
                    (index, offset_s), self._jump = self._jump, None
                    continue
                if self._refeed is not None:
                    index, offset_s = await self._rewrite(self._refeed, report), 0.0
                    continue
                if not 0 <= index < len(self.queue):
                    break
                track_id = self.queue[index]
                track = await self._playable(track_id, report)
                shape = geometry_of(track) if track is not None else None
                if track is None or shape is None:
                    index, offset_s = index + 1, 0.0
                    continue
                if (shape.sample_rate_hz, track["channels"]) != (rate_hz, channels):
                    # Another stream format: the device is reopened at this track boundary
                    # once it has played what it has (gapless holds between same formats).
                    await self._reopen(shape, track["channels"], report)
                    rate_hz, channels = shape.sample_rate_hz, track["channels"]
                if self._jump is not None or self._refeed is not None:
                    continue
                fade = round(self.crossfade_s * rate_hz) if index < len(self.queue) - 1 else 0
                self._current = FedTrack(index, track_id, shape, fade)
                self._current.anchor_written = self.ring.written_frames
                self._timeline.add(self._current, self.ring.read_position)
                self._target = None  # the track is set up: the timeline knows where it plays
                start_frame = min(max(0, round(offset_s * rate_hz)), shape.total_frames - 1)
                self._current.anchor_frame = start_frame
                if await self._feed_entry(self._current, start_frame, ChunkJoiner(), report):
                    report.tracks.append(track_id)
                index, offset_s = index + 1, 0.0
            if self._stopping:
                break
            await self._writer.finish()
            if not linger:
                break
            # Stay until the device has played it all, or a jump brings the loop back.
            await self._writer.played_out(self._idle_until_asked)
            if self._jump is None and self._refeed is None:
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
        for index in range(start_index, len(self.queue)):
            track = await self._playable(self.queue[index], report)
            if track is not None:
                return index, track
        return len(self.queue), None

    async def _reopen(self, shape: ChunkGeometry, channels: int, report: PlaybackReport) -> None:
        """Let the device play out, then a new ring and device stream in the new format."""
        assert self._writer is not None
        await self._writer.finish()
        await self._writer.played_out(lambda: self._jump is None and not self._stopping)
        if self._writer.started:
            self.output.stop()
        self._account(report)
        self._open(shape, channels)
        self._refeed = None  # positions in the old ring mean nothing now; the next fetch
        # already uses the new settings

    def _open(self, geometry: ChunkGeometry, channels: int) -> None:
        """A ring for ``prefetch_chunks`` + 1 chunks of this format, and an empty timeline."""
        ring = RingBuffer(geometry.chunk_frames * (self.prefetch_chunks + 1), channels)
        ring.volume = self._volume
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
        return self._jump is None and self._refeed is None and not self._stopping

    async def _feed_entry(
        self, entry: FedTrack, start_frame: int, joiner: ChunkJoiner, report: PlaybackReport
    ) -> bool:
        """Feed ``entry`` from ``start_frame`` to its end; False if a request cut it short."""
        self._current = entry
        self._feeder = asyncio.ensure_future(self._feed(start_frame, joiner))
        try:
            await self._feeder
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._idle_until_asked() or (task is not None and task.cancelling()):
                raise  # the run itself was cancelled, not only the feeder by a request
            return False
        except TrackUnavailable as exc:
            # Deleted or rewritten while playing: what is buffered plays out, and the queue
            # goes on with the next track.
            self.notice = f"track {entry.track_id} stopped early: {exc}"
            report.problems.append(self.notice)
            log.warning("%s", self.notice)
            return False
        return self._idle_until_asked()

    async def _rewrite(self, refeed: Refeed, report: PlaybackReport) -> int:
        """Apply a settings change: drop the ring from the switch point, feed that track
        again from there, and return the queue index to continue with."""
        assert self._writer is not None
        self._refeed = None
        entry = refeed.entry
        self._writer.ring.truncate(entry.written_at(refeed.start_frame))
        self._timeline.keep_until(entry.written_at(refeed.start_frame))
        self._writer.held = None
        await self._feed_entry(entry, refeed.start_frame, refeed.joiner, report)
        return entry.index + 1

    async def _feed(self, start_frame: int, joiner: ChunkJoiner) -> None:
        current = self._current
        assert current is not None
        geometry = current.geometry
        count = geometry.chunk_count
        next_chunk = geometry.chunk_at_frame(start_frame)
        skip = start_frame - geometry.core_bounds(next_chunk)[0]
        while next_chunk < count:
            last = min(next_chunk + self.prefetch_chunks - 1, count - 1)
            request = StreamRequest(
                current.track_id, next_chunk, last, self.settings.preset, self.settings.intensity
            )
            async for frame in self.client.frames(request):
                index = frame.header.chunk_index
                samples = joiner.feed(frame)
                current.tails[index] = frame.tail
                current.tails.pop(index - self.prefetch_chunks - 2, None)
                if skip:
                    samples, skip = samples[skip:], 0
                await self._writer.emit(samples, current.fade_frames, last_of_track=index == count - 1)
                next_chunk = index + 1

    # -- what is playing --------------------------------------------------------------------

    def _playing(self) -> FedTrack | None:
        """The fed track whose frames the device is taking now."""
        return None if self.ring is None else self._timeline.playing_at(self.ring.read_position)

    def _pending_target(self) -> NowPlaying | None:
        """Where the latest jump will play from, once its track's metadata is known."""
        if self._target is None:
            return None
        index, start_s = self._target
        track_id = self.queue[index]
        geometry = geometry_of(self._tracks.known(track_id) or {})
        return None if geometry is None else starting_at(index, track_id, geometry, start_s)

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
    def buffered_chunks(self) -> float:
        """Audio written and not yet played, in chunks: the buffer health."""
        now = self.now_playing
        if now is None or self.ring is None:
            return 0.0
        return self.ring.available_frames / now.chunk_frames

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

    # -- controls ---------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        if self.ring is not None:
            self.ring.paused = paused

    def set_volume(self, volume: float) -> None:
        """Linear gain 0…1, applied by the device's reader: takes effect within a block."""
        self._volume = min(1.0, max(0.0, volume))
        if self.ring is not None:
            self.ring.volume = self._volume

    def jump(self, index: int, start_s: float = 0.0) -> None:
        """Drop what is buffered and play queue entry ``index`` from ``start_s``."""
        if self._writer is None or not 0 <= index < len(self.queue):
            return
        # No await from here on: the old feeder cannot write again before it is cancelled.
        ring = self._writer.ring
        self._timeline.keep_until(ring.read_position)  # tracks not reached go with the buffer
        self._refeed, self._writer.held = None, None
        ring.clear()
        ring.end_of_stream = False
        self._jump = self._target = (index, start_s)
        if self._feeder is not None:
            self._feeder.cancel()  # a feeder already done ignores this; the loop sees the jump

    def stop(self) -> None:
        """End the run now: drop what is buffered; ``play`` returns."""
        if self._writer is None:
            return
        self._jump, self._target, self._refeed, self._stopping = None, None, None, True
        self._writer.held = None
        self._writer.ring.clear()
        self._writer.ring.end_of_stream = True
        self._timeline = Timeline()  # nothing is playing any more
        if self._feeder is not None:
            self._feeder.cancel()

    def skip(self, step: int) -> None:
        """Next (+1) or previous (-1), from the track heard or about to be (navigation.py)."""
        now = self.now_playing
        if now is not None:
            destination = skip_destination(now, step, len(self.queue))
            self.stop() if destination is None else self.jump(destination)

    def seek_by(self, delta_s: float) -> None:
        """Move by ``delta_s`` from where the listener is, or from a seek still pending."""
        now = self.now_playing
        if now is not None:
            self.jump(now.index, seek_destination_s(now, now.position_frame / now.rate_hz + delta_s))

    async def seek(self, seconds: float) -> None:
        """Drop what is buffered and play the playing track from ``seconds``."""
        now = self.now_playing
        if now is not None:
            self.jump(now.index, seek_destination_s(now, seconds))

    async def change_settings(self, preset: str, intensity: float) -> None:
        """Apply a preset/intensity from the next chunk boundary the device has not reached:
        in the playing track, or else from the start of the next buffered track (tracks
        joined by a crossfade keep what is buffered: their heads hold the fade)."""
        self.settings = PlaybackSettings(preset, intensity)
        if self.ring is None or self._target is not None:
            return  # nothing buffered yet, or a jump will fetch with the new settings
        refeed = switch_point(
            self._timeline,
            self.ring.read_position,
            self.ring.written_frames,
            crossfading=self.crossfade_s > 0,
        )
        if refeed is None:
            return  # nothing buffered past a boundary: the next request uses the settings
        self._refeed = refeed  # the loop rewrites from there; the feeder stops writing now
        if self._feeder is not None:
            self._feeder.cancel()

    async def drain(self) -> None:
        """Wait until the device has taken everything written (then it may be stopped)."""
        while self.ring is not None and self.ring.available_frames:
            await asyncio.sleep(0.01)


