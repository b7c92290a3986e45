"""Rendered chunks into bytes: wire frames for the stream (through the chunk cache) and
standalone chunk files (WAV, FLAC).

The HTTP route only parses the request and sends what this module yields; nothing here
knows about requests or responses, so another front end could serve the same bytes.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import soundfile

from auralis_server.audio.source import AudioReadError
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint.dsp.analysis import (
    ALGORITHM_VERSION as FINGERPRINT_ALGORITHM_VERSION,
)
from auralis_server.streaming.chunk_cache import ChunkCache, cache_key
from auralis_server.streaming.renderer import ChunkRenderer, RenderSettings
from shared.wire import SampleFormat, encode_flac, encode_frame

log = logging.getLogger("auralis.stream")

CHUNK_FILE_TYPES = {"wav": "audio/wav", "flac": "audio/flac"}


@dataclass(frozen=True)
class FrameSource:
    """What every frame of one stream request shares: where it comes from, how it sounds."""

    cache: ChunkCache
    renderer: ChunkRenderer
    audio: TrackAudio
    settings: RenderSettings
    sample_format: SampleFormat

    def encode(self, index: int) -> bytes:
        """Render chunk ``index`` and encode it as one wire frame (shared/WIRE.md)."""
        geometry = self.audio.geometry
        return encode_frame(
            self.renderer.render(self.audio, index, self.settings),
            chunk_index=index,
            chunk_count=geometry.chunk_count,
            sample_rate_hz=geometry.sample_rate_hz,
            core_frames=geometry.core_frames(index),
            sample_format=self.sample_format,
        )

    async def frame(self, index: int, identity: str) -> bytes:
        """One frame, from the chunk cache or rendered once for everyone asking.

        ``identity`` is the renderer's description of the plan, so a new plan misses.
        """
        audio, geometry = self.audio, self.audio.geometry
        key = cache_key(
            audio.path,
            *audio.signature,
            FINGERPRINT_ALGORITHM_VERSION,
            identity,
            geometry.chunk_frames,
            geometry.overlap_frames,
            index,
            self.sample_format.name,
        )
        return await self.cache.get_or_render(key, lambda: self.encode(index))

    async def open(self, indices: Sequence[int]) -> AsyncIterator[bytes]:
        """The frames of ``indices``, in order; the plan and first frame are made before this
        returns, so an unreadable file raises ``AudioReadError`` while a status can still say so.

        A later chunk that cannot be read ends the iteration early (logged): the headers are
        gone by then, and a frame count short of Content-Range is how clients see it.
        """
        identity = await asyncio.to_thread(self.renderer.describe, self.audio, self.settings)
        first = await self.frame(indices[0], identity)

        async def frames() -> AsyncIterator[bytes]:
            yield first
            for index in indices[1:]:
                try:
                    frame = await self.frame(index, identity)
                except AudioReadError as exc:
                    log.error(
                        "track %d chunk %d: %s; stream ended early",
                        self.audio.track_id,
                        index,
                        exc,
                    )
                    return
                yield frame

        return frames()


def chunk_file(
    renderer: ChunkRenderer,
    audio: TrackAudio,
    index: int,
    settings: RenderSettings,
    *,
    kind: str,
    with_tail: bool,
) -> bytes:
    """Chunk ``index`` as a standalone ``kind`` file (a key of ``CHUNK_FILE_TYPES``): its
    core samples, so consecutive files join into exactly the track, plus the tail if asked."""
    geometry = audio.geometry
    samples = renderer.render(audio, index, settings)
    if not with_tail:
        samples = samples[: geometry.core_frames(index)]
    if kind == "flac":
        return encode_flac(samples, geometry.sample_rate_hz)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, geometry.sample_rate_hz, format="WAV", subtype="FLOAT")
    return buffer.getvalue()
