"""Headless playback: fetch chunks K ahead, join them, feed the output's ring buffer.

Tracks in a queue join gaplessly (the next track's first frame follows the last frame of
the one before), or with an equal-power crossfade of ``crossfade_s``. A start offset or a
seek plays from the chunk holding it, mid-chunk. A preset or intensity change keeps what is
buffered up to the next chunk boundary, refetches from there with the new settings, and
crossfades the old plan's overlap tail into the new plan's head, so the switch is seamless.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from auralis_tui.api import AuralisClient, ClientError, StreamRequest, TrackUnavailable
from auralis_tui.engine.joiner import ChunkJoiner, equal_power
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.ring_buffer import RingBuffer, Samples
from shared.geometry import ChunkGeometry

log = logging.getLogger("auralis.player")

_POLL_S = 0.005
# A switch never rewrites audio the device may take within this many frames.
_SWITCH_SAFETY_FRAMES = 8192
# `previous` restarts the playing track once this far in, as cmus and most players do.
RESTART_AFTER_S = 3.0


@dataclass
class PlaybackSettings:
    preset: str = "adaptive"
    intensity: float = 1.0


@dataclass
class PlaybackReport:
    frames_played: int = 0
    seconds_played: float = 0.0
    underruns: int = 0
    tracks: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # tracks cut short, and why


@dataclass
class _Current:
    """A track being fed, and where its frames sit in the ring buffer."""

    index: int  # position in the queue
    track_id: int
    geometry: ChunkGeometry
    fade_frames: int
    anchor_frame: int = 0  # the track frame written at ring position ``anchor_written``
    anchor_written: int = 0
    tails: dict[int, Samples] = field(default_factory=dict)  # overlap tail of each fed chunk

    def frame_at(self, ring_position: int) -> int:
        return self.anchor_frame + ring_position - self.anchor_written


@dataclass(frozen=True)
class NowPlaying:
    """What the device is taking now: for the now-playing bar."""

    index: int
    track_id: int
    position_frame: int
    total_frames: int
    rate_hz: int
    chunk_frames: int


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
        self.ring: RingBuffer | None = None
        self.queue: list[int] = []
        self._volume = 1.0
        self._held: Samples | None = None  # the end of the previous track, kept for a crossfade
        self._rate_hz = 0
        self._started = False
        self._current: _Current | None = None  # the track being fed
        self._timeline: list[_Current] = []  # recently fed tracks, oldest first
        self._jump: tuple[int, float] | None = None  # (queue index, start seconds) to go to
        # The latest jump's target until its track is set up: what the listener hears next,
        # so a second seek or skip in the same batch counts from it, not from the old buffer.
        self._target: tuple[int, float] | None = None
        self._stopping = False
        self.notice: str | None = None  # the last track problem, one line for the bar
        self._tracks: dict[int, dict[str, Any]] = {}
        self._feeder: asyncio.Task[None] | None = None

    # -- writing ----------------------------------------------------------------------------

    async def _write(self, samples: Samples) -> None:
        assert self.ring is not None
        done = 0
        while done < len(samples):
            done += self.ring.write(samples[done:])
            if not self._started and (done == len(samples) or not self.ring.free_frames):
                self._start_output()  # the first chunk is buffered: the device may pull now
            if done < len(samples):
                await asyncio.sleep(_POLL_S)

    async def _emit(self, samples: Samples, fade_frames: int, last_of_track: bool) -> None:
        """Write ``samples``, mixing in a held track ending and holding back this one's end."""
        if self._held is not None and len(samples):
            overlap = min(len(self._held), len(samples))
            await self._write(equal_power(self._held[:overlap], samples[:overlap]))
            samples = samples[overlap:]
            self._held = None
        if last_of_track and fade_frames:
            keep = min(fade_frames, len(samples))
            await self._write(samples[: len(samples) - keep])
            self._held = samples[len(samples) - keep :]
            return
        await self._write(samples)

    def _start_output(self) -> None:
        assert self.ring is not None
        self._started = True
        self.output.start(self.ring, self._rate_hz)

    # -- playing ----------------------------------------------------------------------------

    async def _track(self, track_id: int) -> dict[str, Any]:
        if track_id not in self._tracks:
            self._tracks[track_id] = await self.client.track(track_id)
        return self._tracks[track_id]

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
        geometry = _geometry(first)
        assert geometry is not None
        rate_hz, channels = geometry.sample_rate_hz, first["channels"]
        self.ring = RingBuffer(geometry.chunk_frames * (self.prefetch_chunks + 1), channels)
        self.ring.volume = self._volume
        self._rate_hz, self._started, self._timeline = rate_hz, False, []
        offset_s = start_s if index == start_index else 0.0
        self._jump, self._target, self._stopping = None, None, False
        while not self._stopping:
            if self._jump is not None:  # a jump brought a lingering loop back
                (index, offset_s), self._jump = self._jump, None
            while 0 <= index < len(self.queue) and not self._stopping:
                if self._jump is not None:  # asked for while the last track was being set up
                    (index, offset_s), self._jump = self._jump, None
                    continue
                track_id = self.queue[index]
                track = await self._playable(track_id, report)
                shape = _geometry(track) if track is not None else None
                if track is None or shape is None:
                    index, offset_s = index + 1, 0.0
                    continue
                if (shape.sample_rate_hz, track["channels"]) != (rate_hz, channels):
                    # Another stream format: the device is reopened at this track boundary
                    # once it has played what it has (gapless holds between same formats).
                    await self._reopen(shape, track["channels"], report)
                    rate_hz, channels = shape.sample_rate_hz, track["channels"]
                if self._jump is not None:
                    continue
                fade = round(self.crossfade_s * rate_hz) if index < len(self.queue) - 1 else 0
                self._current = _Current(index, track_id, shape, fade)
                self._timeline = [*self._timeline[-3:], self._current]
                self._target = None  # the track is set up: the timeline knows where it plays
                start_frame = min(max(0, round(offset_s * rate_hz)), shape.total_frames - 1)
                try:
                    await self._run_feeder(start_frame, ChunkJoiner())
                except TrackUnavailable as exc:
                    # Deleted or rewritten while playing: what is buffered plays out, and
                    # the queue goes on with the next track.
                    self.notice = f"track {track_id} stopped early: {exc}"
                    report.problems.append(self.notice)
                    log.warning("%s", self.notice)
                    index, offset_s = index + 1, 0.0
                    continue
                if self._jump is not None or self._stopping:
                    continue
                report.tracks.append(track_id)
                index, offset_s = index + 1, 0.0
            if self._stopping:
                break
            if self._held is not None:
                await self._write(self._held)
                self._held = None
            self.ring.end_of_stream = True
            if not self._started:
                self._start_output()
            if not linger:
                break
            # Stay until the device has played it all, or a jump brings the loop back.
            while self._jump is None and not self._stopping and self.ring.available_frames:
                await asyncio.sleep(_POLL_S)
            if self._jump is None:
                break
        self._account(report)
        return report

    async def _playable(self, track_id: int, report: PlaybackReport) -> dict[str, Any] | None:
        """The track's metadata if it can be played; else None, and the reason is reported."""
        try:
            track = await self._track(track_id)
        except TrackUnavailable as exc:
            reason = str(exc)
        else:
            if _geometry(track) is not None:
                return track
            reason = f"not playable: {track.get('error')}"
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
        assert self.ring is not None
        if self._held is not None:
            await self._write(self._held)
            self._held = None
        self.ring.end_of_stream = True
        if not self._started and self.ring.available_frames:
            self._start_output()
        while self._jump is None and not self._stopping and self.ring.available_frames:
            await asyncio.sleep(_POLL_S)
        if self._started:
            self.output.stop()
        self._account(report)
        self.ring = RingBuffer(shape.chunk_frames * (self.prefetch_chunks + 1), channels)
        self.ring.volume = self._volume
        self._rate_hz, self._started, self._timeline = shape.sample_rate_hz, False, []

    def _account(self, report: PlaybackReport) -> None:
        """Add this ring's totals to the report (a run may use one ring per stream format)."""
        assert self.ring is not None
        report.frames_played += self.ring._written
        report.seconds_played += self.ring._written / self._rate_hz
        report.underruns += self.ring.underruns

    async def _run_feeder(self, start_frame: int, joiner: ChunkJoiner) -> None:
        """Feed the current track; a switch replaces the feeder, a jump ends it."""
        assert self.ring is not None and self._current is not None
        self._current.anchor_frame, self._current.anchor_written = start_frame, self.ring._written
        self._feeder = asyncio.ensure_future(self._feed(start_frame, joiner))
        while True:
            feeder = self._feeder
            try:
                await feeder
            except asyncio.CancelledError:
                if self._feeder is feeder and self._jump is None and not self._stopping:
                    raise  # cancelled from outside, not replaced
            if self._feeder is feeder:
                return

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
                await self._emit(samples, current.fade_frames, last_of_track=index == count - 1)
                next_chunk = index + 1

    # -- what is playing --------------------------------------------------------------------

    def _playing(self) -> _Current | None:
        """The fed track whose frames the device is taking now."""
        if self.ring is None:
            return None
        position = self.ring.read_position
        for entry in reversed(self._timeline):
            if entry.anchor_written <= position:
                return entry
        return self._timeline[0] if self._timeline else None

    def _pending_target(self) -> NowPlaying | None:
        """Where the latest jump will play from, once its track's metadata is known."""
        if self._target is None:
            return None
        index, start_s = self._target
        geometry = _geometry(self._tracks.get(self.queue[index], {}))
        if geometry is None:
            return None
        start = min(max(0, round(start_s * geometry.sample_rate_hz)), geometry.total_frames - 1)
        return NowPlaying(
            index,
            self.queue[index],
            start,
            geometry.total_frames,
            geometry.sample_rate_hz,
            geometry.chunk_frames,
        )

    @property
    def now_playing(self) -> NowPlaying | None:
        """What the device is taking now, or, while a jump is pending, where it will start."""
        if self._target is not None:
            return self._pending_target()
        entry = self._playing()
        if entry is None or self.ring is None:
            return None
        total = entry.geometry.total_frames
        return NowPlaying(
            entry.index,
            entry.track_id,
            min(max(0, entry.frame_at(self.ring.read_position)), total),
            total,
            self._rate_hz,
            entry.geometry.chunk_frames,
        )

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
        return 0 if self.ring is None else self.ring.underruns

    @property
    def started(self) -> bool:
        """The output is running (the first chunk was buffered)."""
        return self._started

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

    def _restart(self, start_frame: int, joiner: ChunkJoiner) -> None:
        assert self._current is not None and self.ring is not None
        self._current.anchor_frame, self._current.anchor_written = start_frame, self.ring._written
        old, self._feeder = self._feeder, asyncio.ensure_future(self._feed(start_frame, joiner))
        if old is not None:
            old.cancel()

    def jump(self, index: int, start_s: float = 0.0) -> None:
        """Drop what is buffered and play queue entry ``index`` from ``start_s``."""
        if self.ring is None or not 0 <= index < len(self.queue):
            return
        # No await from here on: the old feeder cannot write again before it is cancelled.
        heard = self.ring.read_position  # tracks fed but not reached are dropped with the buffer
        self._timeline = [entry for entry in self._timeline if entry.anchor_written <= heard]
        self._held = None
        self.ring.clear()
        self.ring.end_of_stream = False
        self._jump = self._target = (index, start_s)
        if self._feeder is not None:
            self._feeder.cancel()  # a feeder already done ignores this; the loop sees the jump

    def stop(self) -> None:
        """End the run now: drop what is buffered; ``play`` returns."""
        if self.ring is None:
            return
        self._held, self._jump, self._target, self._stopping = None, None, None, True
        self.ring.clear()
        self.ring.end_of_stream = True
        if self._feeder is not None:
            self._feeder.cancel()

    def skip(self, step: int) -> None:
        """Next (+1) or previous (-1) track, relative to the one heard (or about to be).

        Next on the last track stops. Previous restarts the track once ``RESTART_AFTER_S``
        of it has played, and goes to the track before only within those first seconds.
        """
        now = self.now_playing
        if now is None:
            return
        if step > 0:
            if now.index + step >= len(self.queue):
                self.stop()
            else:
                self.jump(now.index + step)
        elif now.position_frame >= RESTART_AFTER_S * now.rate_hz or now.index == 0:
            self.jump(now.index, 0.0)
        else:
            self.jump(max(0, now.index + step))

    def seek_by(self, delta_s: float) -> None:
        """Move by ``delta_s`` from where the listener is, or from a seek still pending."""
        now = self.now_playing
        if now is not None:
            self._seek_in(now, now.position_frame / now.rate_hz + delta_s)

    async def seek(self, seconds: float) -> None:
        """Drop what is buffered and play the playing track from ``seconds``."""
        now = self.now_playing
        if now is not None:
            self._seek_in(now, seconds)

    def _seek_in(self, now: NowPlaying, seconds: float) -> None:
        self.jump(now.index, min(max(0.0, seconds), (now.total_frames - 1) / now.rate_hz))

    async def change_settings(self, preset: str, intensity: float) -> None:
        """Apply a preset/intensity from the next chunk boundary not yet playing."""
        self.settings = PlaybackSettings(preset, intensity)
        current, ring = self._current, self.ring
        if current is None or ring is None or self._playing() is not current:
            return  # the next track's requests use the new settings
        position = current.frame_at(ring.read_position)
        geometry, ahead = current.geometry, position + _SWITCH_SAFETY_FRAMES
        boundary_chunk = geometry.chunk_at_frame(ahead) + 1 if ahead < geometry.total_frames else 0
        if not 0 < boundary_chunk < geometry.chunk_count:
            return  # no chunk starts after that point: the next track uses the new settings
        boundary = geometry.core_bounds(boundary_chunk)[0]
        boundary_written = current.anchor_written + boundary - current.anchor_frame
        if boundary_written > ring._written:
            return  # nothing buffered past that boundary: the next request uses the new settings
        # No await from here on: the old feeder cannot write again before it is replaced.
        self._held = None
        ring._written = max(
            ring.read_position, boundary_written
        )  # keep up to the boundary, drop the rest
        joiner = ChunkJoiner()
        joiner.prime(current.tails.get(boundary_chunk - 1))
        anchor_frame, anchor_written = current.anchor_frame, current.anchor_written
        self._restart(boundary, joiner)
        current.anchor_frame, current.anchor_written = anchor_frame, anchor_written

    async def drain(self) -> None:
        """Wait until the device has taken everything written (then it may be stopped)."""
        while self.ring is not None and self.ring.available_frames:
            await asyncio.sleep(0.01)


def _geometry(track: dict[str, Any]) -> ChunkGeometry | None:
    """The track's chunking as the server announced it; None when it cannot be played."""
    shape = track.get("geometry")
    if shape is None:
        return None
    return ChunkGeometry(
        shape["total_frames"],
        shape["sample_rate_hz"],
        shape["chunk_frames"],
        shape["overlap_frames"],
    )
