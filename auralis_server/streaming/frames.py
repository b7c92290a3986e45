"""Rendered chunks into bytes: wire frames for the stream (through the chunk cache) and
standalone chunk files (WAV, FLAC).

The HTTP route only parses the request and sends what this module yields; nothing here
knows about requests or responses, so another front end could serve the same bytes.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import soundfile

from auralis_server.audio.source import AudioReadError
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint.dsp.analysis import (
    ALGORITHM_VERSION as FINGERPRINT_ALGORITHM_VERSION,
)
from auralis_server.streaming.chunk_cache import ChunkCache, cache_key
from auralis_server.streaming.render_pool import DeadlinePool
from auralis_server.streaming.renderer import ChunkRender, ChunkRenderer, RenderSettings
from shared.geometry import ChunkGeometry
from shared.wire import SampleFormat, Samples, encode_flac, encode_frame

log = logging.getLogger("auralis.stream")

CHUNK_FILE_TYPES = {"wav": "audio/wav", "flac": "audio/flac"}
PIECE_BYTES = 64 * 1024  # what a stream response writes at once: the transport's high water


class SourceChanged(AudioReadError):
    """The file is not the one the stream started on (rewritten, truncated, replaced): its
    later chunks would mix new audio into the old, so the stream ends instead."""


def file_signature(path: os.PathLike[str] | str) -> tuple[int, int]:
    """(size, mtime_ns), as ``TrackAudio.signature`` holds it; (-1, -1) for a file that is gone."""
    try:
        stat = os.stat(path)
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def _frame_bytes(
    samples: Samples, index: int, geometry: ChunkGeometry, sample_format: SampleFormat
) -> bytes:
    """Chunk ``index``'s samples as one wire frame (shared/WIRE.md)."""
    return encode_frame(
        samples,
        chunk_index=index,
        chunk_count=geometry.chunk_count,
        sample_rate_hz=geometry.sample_rate_hz,
        core_frames=geometry.core_frames(index),
        sample_format=sample_format,
    )


def render_frame(
    job: ChunkRender, index: int, geometry: ChunkGeometry, sample_format: SampleFormat
) -> bytes:
    """Render and encode in one go: what a worker process runs (the bytes cross back once)."""
    return _frame_bytes(job(), index, geometry, sample_format)


@dataclass(frozen=True)
class FrameSource:
    """What every frame of one stream request shares: where it comes from, how it sounds, and
    the pool that renders it (None: a thread each, in no order). ``read_ahead``: nobody waits
    for it yet (a client having a track ready), so it is due a chunk later than a start.

    ``baseline`` is the file's signature when the source was made: a chunk rendered after the
    file has changed would not belong with the ones before it.
    """

    cache: ChunkCache
    renderer: ChunkRenderer
    audio: TrackAudio
    settings: RenderSettings
    sample_format: SampleFormat
    pool: DeadlinePool | None = None
    read_ahead: bool = False
    baseline: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "baseline", file_signature(self.audio.path))

    def encode(self, index: int) -> bytes:
        """Render chunk ``index`` and encode it as one wire frame (shared/WIRE.md).

        The file's signature is checked before and after the read, so samples of a file
        changed since the stream began never go out (nor into the cache under the old key).
        """
        self._require_unchanged()
        samples = self.renderer.render(self.audio, index, self.settings)
        self._require_unchanged()
        return _frame_bytes(samples, index, self.audio.geometry, self.sample_format)

    def _job(self, index: int) -> ChunkRender:
        self._require_unchanged()
        return self.renderer.job(self.audio, index, self.settings)

    async def _render(self, index: int, deadline: float) -> bytes:
        """Chunk ``index``'s frame, rendered once the pool has nothing due earlier."""
        pool = self.pool
        if pool is None:
            return await asyncio.to_thread(self.encode, index)
        if not pool.processes:
            return await pool.run(functools.partial(self.encode, index), deadline)
        # The plan is looked up here (the database is this process's); the rest is a job.
        job = await asyncio.to_thread(self._job, index)
        geometry = self.audio.geometry
        work = functools.partial(render_frame, job, index, geometry, self.sample_format)
        data = await pool.run(work, deadline)
        self._require_unchanged()
        return data

    def _require_unchanged(self) -> None:
        if file_signature(self.audio.path) != self.baseline:
            raise SourceChanged(f"{self.audio.path} changed on disk since the stream began")

    def key(self, index: int, identity: str) -> str:
        """Chunk ``index``'s cache key; ``identity`` is the renderer's description of the
        plan, so a new plan misses."""
        audio, geometry = self.audio, self.audio.geometry
        return cache_key(
            audio.path,
            *audio.signature,
            FINGERPRINT_ALGORITHM_VERSION,
            identity,
            geometry.chunk_frames,
            geometry.overlap_frames,
            index,
            self.sample_format.name,
        )

    async def frame(self, index: int, identity: str, deadline: float) -> bytes:
        """One frame, from the chunk cache or rendered once for everyone asking, by
        ``deadline`` (``time.monotonic()``: when its listener will need it)."""
        key = self.key(index, identity)
        return await self.cache.get_or_render(key, lambda: self._render(index, deadline))

    def _deadlines(self, indices: Sequence[int]) -> Callable[[int], float]:
        """When each frame of a request is needed: the first now (a listener waits to start),
        each later one a chunk's duration after the one before, as a listener playing in real
        time from the first frame needs them. A start so goes before others' read-ahead."""
        chunk_s = self.audio.geometry.chunk_seconds
        asked, first = time.monotonic() + (chunk_s if self.read_ahead else 0.0), indices[0]
        return lambda index: asked + (index - first) * chunk_s

    async def open(self, indices: Sequence[int]) -> AsyncIterator[bytes]:
        """The frames of ``indices``, in order; the plan and first frame are made before this
        returns, so an unreadable file raises ``AudioReadError`` while a status can still say so.

        A later chunk that cannot be read, or of a file changed since (``SourceChanged``), ends
        the iteration early (logged): the headers are gone by then, and a frame count short of
        Content-Range is how clients see it. Frames are made as the consumer asks, one at a
        time: a slow reader does not make the server render ahead.
        """
        due = self._deadlines(indices)
        identity = await asyncio.to_thread(self.renderer.describe, self.audio, self.settings)
        first = await self.frame(indices[0], identity, due(indices[0]))

        async def frames(frame: bytes) -> AsyncIterator[bytes]:
            yield frame
            del frame  # while the next one renders, this holds no frame at all
            for index in indices[1:]:
                try:
                    frame = await self.frame(index, identity, due(index))
                except AudioReadError as exc:
                    self._ended_early(index, exc)
                    return
                yield frame
                del frame

        return frames(first)

    async def open_pieces(
        self, indices: Sequence[int], piece_bytes: int = PIECE_BYTES
    ) -> AsyncIterator[bytes]:
        """The same bytes as ``open``, in pieces of at most ``piece_bytes``, for a response.

        The server writes what it is given to the socket's buffer at once and waits only
        before the next write, so a whole frame handed to a client reading at 1 KB/s sat in
        memory for an hour, copied. In pieces that buffer holds one piece, and the frame
        itself is read from the cache as it goes (``ChunkCache.pieces``), not kept.
        """
        due = self._deadlines(indices)
        identity = await asyncio.to_thread(self.renderer.describe, self.audio, self.settings)
        first = await self.frame(indices[0], identity, due(indices[0]))

        async def pieces(frame: bytes) -> AsyncIterator[bytes]:
            for position, index in enumerate(indices):
                if position:
                    try:
                        frame = await self.frame(index, identity, due(index))
                    except AudioReadError as exc:
                        self._ended_early(index, exc)
                        return
                parts = self.cache.pieces(self.key(index, identity), frame, piece_bytes)
                del frame  # only ``parts`` decides how long it is kept
                async for part in parts:
                    yield part

        return pieces(first)

    def _ended_early(self, index: int, exc: AudioReadError) -> None:
        log.error("track %d chunk %d: %s; stream ended early", self.audio.track_id, index, exc)


async def in_pieces(
    chunks: AsyncIterator[bytes], piece_bytes: int = PIECE_BYTES
) -> AsyncIterator[bytes]:
    """``chunks`` cut into pieces of at most ``piece_bytes``, each a copy of its own, for a
    response body made on the fly (encoded audio): as with ``FrameSource.open_pieces``, the
    socket's buffer then holds one piece for a slow reader, not a chunk of megabytes."""
    async for chunk in chunks:
        view = memoryview(chunk)
        del chunk
        for start in range(0, len(view), piece_bytes):
            yield bytes(view[start : start + piece_bytes])
        view.release()
        del view


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
