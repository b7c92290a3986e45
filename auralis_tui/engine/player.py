"""Headless playback: fetch chunks K ahead, join them, feed the output's ring buffer.

Tracks in a queue join gaplessly (the next track's first frame follows the last frame of
the one before), or with an equal-power crossfade of ``crossfade_s``. A start offset plays
from the chunk holding it, mid-chunk. Preset and intensity apply from the next range
request on, and the joiner's crossfade makes the switch seamless.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from auralis_tui.api import AuralisClient, ClientError, StreamRequest
from auralis_tui.engine.joiner import ChunkJoiner, equal_power
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.ring_buffer import RingBuffer, Samples

log = logging.getLogger("auralis.player")

_POLL_S = 0.005


@dataclass
class PlaybackSettings:
    preset: str = "adaptive"
    intensity: float = 1.0


@dataclass
class PlaybackReport:
    frames_played: int = 0
    underruns: int = 0
    tracks: list[int] = field(default_factory=list)


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
            mixed = equal_power(self._held[:overlap], samples[:overlap])
            await self._write(mixed)
            samples = samples[overlap:]
            self._held = None
        if last_of_track and fade_frames:
            keep = min(fade_frames, len(samples))
            await self._write(samples[: len(samples) - keep])
            self._held = samples[len(samples) - keep :]
            return
        await self._write(samples)

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
            await self._play_track(track_id, shape, offset_s, fade)
            report.tracks.append(track_id)
            offset_s = 0.0
        if self._held is not None:
            await self._write(self._held)
            self._held = None
        self.ring.end_of_stream = True
        if not self._started:
            self._start_output()
        report.frames_played = self.ring._written
        report.underruns = self.ring.underruns
        return report

    def _start_output(self) -> None:
        assert self.ring is not None
        self._started = True
        self.output.start(self.ring, self._rate_hz)

    async def drain(self) -> None:
        """Wait until the device has taken everything written (then it may be stopped)."""
        while self.ring is not None and self.ring.available_frames:
            await asyncio.sleep(0.01)

    async def _play_track(
        self, track_id: int, geometry: dict[str, int], offset_s: float, fade: int
    ) -> None:
        total, chunk_frames = geometry["total_frames"], geometry["chunk_frames"]
        start_frame = min(max(0, round(offset_s * geometry["sample_rate_hz"])), total - 1)
        next_chunk = start_frame // chunk_frames
        skip = start_frame - next_chunk * chunk_frames
        count = geometry["chunk_count"]
        joiner = ChunkJoiner()
        while next_chunk < count:
            last = min(next_chunk + self.prefetch_chunks - 1, count - 1)
            request = StreamRequest(
                track_id, next_chunk, last, self.settings.preset, self.settings.intensity
            )
            async for frame in self.client.frames(request):
                samples = joiner.feed(frame)
                if skip:
                    samples, skip = samples[skip:], 0
                index = frame.header.chunk_index
                await self._emit(samples, fade, last_of_track=index == count - 1)
                next_chunk = index + 1
