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

from auralis_tui.api import AuralisClient, ClientError, StreamRequest
from auralis_tui.engine.joiner import ChunkJoiner, equal_power
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.ring_buffer import RingBuffer, Samples

log = logging.getLogger("auralis.player")

_POLL_S = 0.005
# A switch never rewrites audio the device may take within this many frames.
_SWITCH_SAFETY_FRAMES = 8192


@dataclass
class PlaybackSettings:
    preset: str = "adaptive"
    intensity: float = 1.0


@dataclass
class PlaybackReport:
    frames_played: int = 0
    underruns: int = 0
    tracks: list[int] = field(default_factory=list)


@dataclass
class _Current:
    """The track being fed, and where its frames sit in the ring buffer."""

    track_id: int
    geometry: dict[str, Any]
    fade_frames: int
    anchor_frame: int = 0  # the track frame written at ring position ``anchor_written``
    anchor_written: int = 0
    tails: dict[int, Samples] = field(default_factory=dict)  # overlap tail of each fed chunk


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
        self._held: Samples | None = None  # the end of the previous track, kept for a crossfade
        self._rate_hz = 0
        self._started = False
        self._current: _Current | None = None
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

    async def play(self, track_ids: list[int], start_s: float = 0.0) -> PlaybackReport:
        """Play the tracks in order from ``start_s`` into the first; returns when all is written."""
        report = PlaybackReport()
        first = await self.client.track(track_ids[0])
        geometry = first.get("geometry")
        if geometry is None:
            raise ClientError(f"track {track_ids[0]} is not playable: {first.get('error')}")
        rate_hz, channels = geometry["sample_rate_hz"], first["channels"]
        self.ring = RingBuffer(geometry["chunk_frames"] * (self.prefetch_chunks + 1), channels)
        self._rate_hz, self._started = rate_hz, False
        offset_s = start_s
        for position, track_id in enumerate(track_ids):
            track = first if position == 0 else await self.client.track(track_id)
            shape = track.get("geometry")
            if shape is None or shape["sample_rate_hz"] != rate_hz or track["channels"] != channels:
                log.warning("track %d skipped: not playable in the same stream format", track_id)
                continue
            fade = round(self.crossfade_s * rate_hz) if position < len(track_ids) - 1 else 0
            self._current = _Current(track_id, shape, fade)
            start_frame = min(max(0, round(offset_s * rate_hz)), shape["total_frames"] - 1)
            await self._run_feeder(start_frame, ChunkJoiner())
            report.tracks.append(track_id)
            offset_s = 0.0
        self._current = None
        if self._held is not None:
            await self._write(self._held)
            self._held = None
        self.ring.end_of_stream = True
        if not self._started:
            self._start_output()
        report.frames_played = self.ring._written
        report.underruns = self.ring.underruns
        return report

    async def _run_feeder(self, start_frame: int, joiner: ChunkJoiner) -> None:
        """Feed the current track; a seek or switch replaces the feeder and this waits on."""
        assert self.ring is not None and self._current is not None
        self._current.anchor_frame, self._current.anchor_written = start_frame, self.ring._written
        self._feeder = asyncio.ensure_future(self._feed(start_frame, joiner))
        while True:
            feeder = self._feeder
            try:
                await feeder
            except asyncio.CancelledError:
                if self._feeder is feeder:
                    raise  # cancelled from outside, not replaced
            if self._feeder is feeder:
                return

    async def _feed(self, start_frame: int, joiner: ChunkJoiner) -> None:
        current = self._current
        assert current is not None
        geometry = current.geometry
        chunk_frames, count = geometry["chunk_frames"], geometry["chunk_count"]
        next_chunk = start_frame // chunk_frames
        skip = start_frame - next_chunk * chunk_frames
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

    # -- controls ---------------------------------------------------------------------------

    @property
    def position_frame(self) -> int | None:
        """The current track's frame the device is taking now."""
        if self.ring is None or self._current is None:
            return None
        current = self._current
        return current.anchor_frame + self.ring.read_position - current.anchor_written

    def _restart(self, start_frame: int, joiner: ChunkJoiner) -> None:
        assert self._current is not None and self.ring is not None
        self._current.anchor_frame, self._current.anchor_written = start_frame, self.ring._written
        old, self._feeder = self._feeder, asyncio.ensure_future(self._feed(start_frame, joiner))
        if old is not None:
            old.cancel()

    async def seek(self, seconds: float) -> None:
        """Drop what is buffered and play the current track from ``seconds``."""
        if self._current is None or self.ring is None:
            return
        total = self._current.geometry["total_frames"]
        target = min(max(0, round(seconds * self._rate_hz)), total - 1)
        # No await from here on: the old feeder cannot write again before it is replaced.
        self._held = None
        self.ring.clear()
        self._restart(target, ChunkJoiner())

    async def change_settings(self, preset: str, intensity: float) -> None:
        """Apply a preset/intensity from the next chunk boundary not yet playing."""
        self.settings = PlaybackSettings(preset, intensity)
        current, ring = self._current, self.ring
        if current is None or ring is None:
            return
        position = self.position_frame
        assert position is not None
        chunk_frames = current.geometry["chunk_frames"]
        boundary_chunk = (position + _SWITCH_SAFETY_FRAMES) // chunk_frames + 1
        boundary = boundary_chunk * chunk_frames
        boundary_written = current.anchor_written + boundary - current.anchor_frame
        if boundary >= current.geometry["total_frames"] or boundary_written > ring._written:
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
