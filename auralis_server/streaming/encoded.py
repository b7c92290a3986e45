"""A whole mastered track as one audio file, streamed as its chunks are rendered.

`open_encoded` gives the bytes of a FLAC, WAV, MP3 or Opus file of the track (from any
starting time), produced chunk by chunk through the chunk cache by one encoder, so the first
bytes leave after the first chunk and lossy output has no seams. `open_wav_range` gives any
byte range of the WAV, rendering only the chunks under it: the WAV's header and length are
exact, so a range is just arithmetic. Nothing here knows about HTTP.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from auralis_server.streaming import encoders
from auralis_server.streaming.frames import FrameSource
from auralis_server.streaming.mastered_pcm import open_cores
from shared.wire import Samples


@dataclass(frozen=True)
class Encoding:
    name: str
    media_type: str
    lossy: bool
    default_kbps: int = 0


ENCODINGS = {
    "flac": Encoding("flac", "audio/flac", False),
    "wav": Encoding("wav", "audio/wav", False),
    "mp3": Encoding("mp3", "audio/mpeg", True, 192),
    "opus": Encoding("opus", "audio/ogg; codecs=opus", True, 128),
}
PIECE_S = 0.25
_OPUS_MARGIN = 1.15
_OPUS_SLACK_BYTES = 8192  # headers, the last packets, Ogg pages


@dataclass(frozen=True)
class EncodedStream:
    """An opened stream: its body and what is known of its length in advance."""

    encoding: Encoding
    body: AsyncIterator[bytes]
    exact_bytes: int | None  # WAV: the header says it
    estimated_bytes: int | None  # lossy: from the bit rate (`fit_to_length` makes it true)
    kbps: int | None


def start_frame_at(source: FrameSource, start_s: float) -> int:
    """The frame ``start_s`` seconds in, within the track."""
    geometry = source.audio.geometry
    return min(max(round(start_s * geometry.sample_rate_hz), 0), geometry.total_frames)


def wav_bytes(source: FrameSource, start_frame: int = 0) -> int:
    """The exact size of the WAV of the track from ``start_frame`` on."""
    frames = source.audio.geometry.total_frames - start_frame
    return encoders.WAV_HEADER_BYTES + frames * source.audio.channels * encoders.WAV_SAMPLE_BYTES


async def open_encoded(
    source: FrameSource, encoding: Encoding, *, start_s: float = 0.0, max_kbps: int = 0
) -> EncodedStream:
    """The track as an ``encoding`` file from ``start_s`` on; ``max_kbps`` (0: the default)
    caps a lossy bit rate. The first chunk is rendered before this returns, so an unreadable
    file raises ``AudioReadError`` while a status can still say so."""
    start_frame = start_frame_at(source, start_s)
    if encoding.name == "wav":
        size = wav_bytes(source, start_frame)
        body = await open_wav_range(source, 0, size - 1, start_frame)
        return EncodedStream(encoding, body, size, None, None)
    geometry, channels = source.audio.geometry, source.audio.channels
    frames = geometry.total_frames - start_frame
    lossy = _lossy_settings(encoding, max_kbps, channels)
    cores = await open_cores(source, start_frame, geometry.total_frames)

    async def body() -> AsyncIterator[bytes]:
        encoder = encoders.LibsndfileEncoder(geometry.sample_rate_hz, channels, frames, lossy)
        finished = False
        try:
            async for core in cores:
                for piece in _pieces(core, geometry.sample_rate_hz):
                    data = await asyncio.to_thread(encoder.feed, piece)
                    if data:
                        yield data
            finished = True
            yield await asyncio.to_thread(encoder.finish)
        finally:
            if not finished:
                encoder.close()

    estimate = _estimated_bytes(lossy, frames, geometry.sample_rate_hz) if lossy else None
    return EncodedStream(encoding, body(), None, estimate, lossy.kbps if lossy else None)


def _estimated_bytes(lossy: encoders.Lossy, frames: int, rate_hz: int) -> int:
    """MP3 (constant rate): exact. Opus: its target rate with a margin, as libopus' variable
    rate wanders above it on dense music; `fit_to_length` pads the rest with zero bytes,
    which Ogg demuxers skip as they look for the next page."""
    frames_48k = encoders.lossy_frames(frames, rate_hz)
    if lossy.format == "MP3":
        return encoders.mp3_bytes(frames_48k, lossy.kbps)
    seconds = frames_48k / encoders.LOSSY_RATE_HZ
    return _OPUS_SLACK_BYTES + math.ceil(seconds * lossy.kbps * 125 * _OPUS_MARGIN)


def _lossy_settings(encoding: Encoding, max_kbps: int, channels: int) -> encoders.Lossy | None:
    kbps = max_kbps if max_kbps > 0 else encoding.default_kbps
    if encoding.name == "mp3":
        return encoders.mp3_settings(kbps)
    if encoding.name == "opus":
        return encoders.opus_settings(kbps, channels)
    return None


async def open_wav_range(
    source: FrameSource, first_byte: int, last_byte: int, start_frame: int = 0
) -> AsyncIterator[bytes]:
    """Bytes ``first_byte..last_byte`` (inclusive, within `wav_bytes`) of the WAV of the track
    from ``start_frame`` on: header bytes computed, sample bytes from the chunks under them."""
    audio = source.audio
    total_frames = audio.geometry.total_frames - start_frame
    header = encoders.wav_header(total_frames, audio.geometry.sample_rate_hz, audio.channels)
    block_bytes = audio.channels * encoders.WAV_SAMPLE_BYTES
    head = header[first_byte : last_byte + 1]
    data_first = max(first_byte - len(header), 0)  # within the data chunk
    data_last = last_byte - len(header)
    cores, skip = None, 0
    if data_last >= data_first:
        first_frame = data_first // block_bytes
        stop_frame = data_last // block_bytes + 1
        cores = await open_cores(source, start_frame + first_frame, start_frame + stop_frame)
        skip = data_first - first_frame * block_bytes

    async def body() -> AsyncIterator[bytes]:
        if head:
            yield head
        if cores is None:
            return
        remaining, to_skip = data_last - data_first + 1, skip
        async for core in cores:
            for piece in _pieces(core, audio.geometry.sample_rate_hz):
                data = encoders.wav_samples(piece)[to_skip : to_skip + remaining]
                to_skip, remaining = (
                    max(to_skip - len(piece) * block_bytes, 0),
                    remaining - len(data),
                )
                if data:
                    yield data

    return body()


def _pieces(samples: Samples, rate_hz: int) -> Iterator[Samples]:
    """A chunk in `PIECE_S` slices: an encoder slower than real time (LAME) then sends its
    first bytes a slice after the chunk is rendered, not a whole chunk's encoding later."""
    step = max(round(PIECE_S * rate_hz), 1)
    for start in range(0, len(samples), step):
        yield samples[start : start + step]


async def fit_to_length(body: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """``body`` cut or padded with zero bytes to exactly ``size``: what a promised
    Content-Length needs. Decoders skip zeros after the last MP3 frame or Ogg page."""
    sent = 0
    async for data in body:
        data = data[: size - sent]
        sent += len(data)
        if data:
            yield data
    if sent < size:
        yield bytes(size - sent)
