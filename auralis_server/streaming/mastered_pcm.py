"""A track's mastered samples as a run of chunk cores, for encoders that need plain PCM.

The chunks come through `FrameSource` as 32-bit float frames, so they share the chunk cache
with the chunk stream: a track a client has streamed is not rendered again for a file, and
the other way round. Chunk transparency makes any sample offset exact: chunk i's core is
those samples of the whole-track render.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from auralis_server.audio.track import TrackAudio
from auralis_server.streaming.chunk_cache import ChunkCache
from auralis_server.streaming.frames import FrameSource
from auralis_server.streaming.render_pool import DeadlinePool
from auralis_server.streaming.renderer import ChunkRenderer, RenderSettings
from shared.wire import SampleFormat, Samples, decode_frame


def pcm_source(
    cache: ChunkCache,
    renderer: ChunkRenderer,
    audio: TrackAudio,
    settings: RenderSettings,
    pool: DeadlinePool | None = None,
) -> FrameSource:
    """Float frames: lossless, and the same cache entries the default chunk stream uses."""
    return FrameSource(cache, renderer, audio, settings, SampleFormat.f32, pool)


async def open_cores(
    source: FrameSource, start_frame: int, stop_frame: int
) -> AsyncIterator[Samples]:
    """The mastered samples ``start_frame..stop_frame`` (stop exclusive), chunk by chunk.

    The plan and the first chunk are made before this returns, so an unreadable file raises
    ``AudioReadError`` while a response status can still say so; an empty span yields nothing.
    """
    geometry = source.audio.geometry
    stop_frame = min(stop_frame, geometry.total_frames)
    if start_frame >= stop_frame:
        return _nothing()
    first = geometry.chunk_at_frame(start_frame)
    last = geometry.chunk_at_frame(stop_frame - 1)
    frames = await source.open(range(first, last + 1))

    async def cores() -> AsyncIterator[Samples]:
        index = first
        async for data in frames:
            chunk_start, _ = geometry.core_bounds(index)
            core = decode_frame(data).core
            yield core[max(start_frame - chunk_start, 0) : stop_frame - chunk_start]
            index += 1

    return cores()


async def _nothing() -> AsyncIterator[Samples]:
    return
    yield  # an async generator that yields nothing
