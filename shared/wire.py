"""Encoder and decoder of the chunk frames the stream endpoint sends (see WIRE.md).

This is the one implementation both the server and the client use. Samples are
(frames, channels) float32 in [-1, 1]; ``s16`` and ``flac`` payloads are quantised
with a scale of 2**15 and 2**23, the same scale libsndfile uses when it reads integer
PCM as float, so integer sources survive a round trip bit-exactly.
"""

from __future__ import annotations

import enum
import io
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soundfile

MAGIC = b"AUCH"
VERSION = 1
_HEADER = struct.Struct("<4sHHIIIHBBIIQII")
HEADER_SIZE = _HEADER.size  # 48 bytes
_S16_SCALE = 2.0**15
_S24_SCALE = 2.0**23

Samples = npt.NDArray[np.float32]


class SampleFormat(enum.IntEnum):
    """Payload encodings; the value is the byte in the header, the name the API parameter."""

    f32 = 1
    s16 = 2
    flac = 3

    @classmethod
    def from_name(cls, name: str) -> SampleFormat:
        try:
            return cls[name]
        except KeyError:
            names = ", ".join(member.name for member in cls)
            raise ValueError(f"unknown sample format {name!r}; expected one of {names}") from None


class WireError(ValueError):
    """Bytes that are not a valid frame: bad magic, version, lengths or checksum."""


@dataclass(frozen=True)
class FrameHeader:
    chunk_index: int
    chunk_count: int
    sample_rate_hz: int
    channels: int
    sample_format: SampleFormat
    core_frames: int
    overlap_frames: int
    payload_length: int
    payload_crc32: int

    @property
    def total_frames(self) -> int:
        return self.core_frames + self.overlap_frames


@dataclass(frozen=True)
class Frame:
    header: FrameHeader
    samples: Samples  # (core_frames + overlap_frames, channels) float32

    @property
    def core(self) -> Samples:
        return self.samples[: self.header.core_frames]

    @property
    def tail(self) -> Samples:
        return self.samples[self.header.core_frames :]


def _quantise(samples: Samples, scale: float, dtype: str) -> npt.NDArray[np.integer]:
    info = np.iinfo(np.dtype(dtype))
    scaled = np.rint(samples * np.float64(scale))
    return np.clip(scaled, info.min, info.max).astype(dtype)


def _encode_payload(samples: Samples, sample_rate_hz: int, fmt: SampleFormat) -> bytes:
    if fmt is SampleFormat.f32:
        return np.ascontiguousarray(samples, dtype="<f4").tobytes()
    if fmt is SampleFormat.s16:
        return _quantise(samples, _S16_SCALE, "<i2").tobytes()
    return encode_flac(samples, sample_rate_hz)


def encode_flac(samples: Samples, sample_rate_hz: int) -> bytes:
    """A complete 24-bit FLAC file of ``samples`` (also served as standalone chunk files)."""
    # libsndfile stores the top 24 bits of int32 data in a PCM_24 file.
    as_int32 = _quantise(samples, _S24_SCALE, "<i4") << 8
    buffer = io.BytesIO()
    soundfile.write(buffer, as_int32, sample_rate_hz, format="FLAC", subtype="PCM_24")
    return buffer.getvalue()


def encode_frame(
    samples: Samples,
    *,
    chunk_index: int,
    chunk_count: int,
    sample_rate_hz: int,
    core_frames: int,
    sample_format: SampleFormat = SampleFormat.f32,
) -> bytes:
    """One frame: the header then ``samples`` (core then tail) in ``sample_format``."""
    if samples.ndim != 2:
        raise ValueError(f"samples must be (frames, channels), got shape {samples.shape}")
    frames, channels = samples.shape
    if not 0 <= core_frames <= frames:
        raise ValueError(f"core_frames {core_frames} outside 0..{frames}")
    payload = _encode_payload(samples, sample_rate_hz, sample_format)
    header = _HEADER.pack(
        *(MAGIC, VERSION, HEADER_SIZE, chunk_index, chunk_count, sample_rate_hz, channels),
        *(sample_format, 0, core_frames, frames - core_frames),
        *(len(payload), zlib.crc32(payload), 0),
    )
    return header + payload


def decode_header(data: bytes | bytearray | memoryview) -> FrameHeader:
    if len(data) < HEADER_SIZE:
        raise WireError(f"need {HEADER_SIZE} header bytes, got {len(data)}")
    (
        magic,
        version,
        header_size,
        chunk_index,
        chunk_count,
        sample_rate_hz,
        channels,
        fmt,
        _flags,
        core_frames,
        overlap_frames,
        payload_length,
        payload_crc32,
        _reserved,
    ) = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise WireError(f"bad magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION or header_size != HEADER_SIZE:
        raise WireError(f"unsupported frame version {version} (header {header_size} bytes)")
    try:
        sample_format = SampleFormat(fmt)
    except ValueError:
        raise WireError(f"unknown sample format byte {fmt}") from None
    if channels == 0 or sample_rate_hz == 0:
        raise WireError("frame declares zero channels or zero sample rate")
    return FrameHeader(
        *(chunk_index, chunk_count, sample_rate_hz, channels, sample_format),
        *(core_frames, overlap_frames, payload_length, payload_crc32),
    )


def _decode_payload(header: FrameHeader, payload: bytes | memoryview) -> Samples:
    fmt = header.sample_format
    if fmt is SampleFormat.f32:
        flat = np.frombuffer(payload, dtype="<f4").astype(np.float32)
    elif fmt is SampleFormat.s16:
        flat = np.frombuffer(payload, dtype="<i2").astype(np.float32) / np.float32(_S16_SCALE)
    else:
        try:
            decoded, _ = soundfile.read(io.BytesIO(payload), dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise WireError(f"FLAC payload does not decode: {exc}") from exc
        flat = decoded.reshape(-1)
    expected = header.total_frames * header.channels
    if flat.size != expected:
        raise WireError(f"payload holds {flat.size} samples, header declares {expected}")
    return flat.reshape(header.total_frames, header.channels)


def decode_frame(data: bytes | bytearray | memoryview) -> Frame:
    """Decode exactly one frame; trailing bytes are an error."""
    view = memoryview(data)
    header = decode_header(view)
    end = HEADER_SIZE + header.payload_length
    if len(view) != end:
        raise WireError(f"frame is {len(view)} bytes, header declares {end}")
    return _frame_from(header, view[HEADER_SIZE:end])


def _frame_from(header: FrameHeader, payload: memoryview) -> Frame:
    if zlib.crc32(payload) != header.payload_crc32:
        raise WireError(f"chunk {header.chunk_index}: payload CRC32 mismatch")
    return Frame(header, _decode_payload(header, payload))


class FrameReader:
    """Incremental decoder: feed it bytes as they arrive, take frames as they complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._header: FrameHeader | None = None

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while True:
            if self._header is None:
                if len(self._buffer) < HEADER_SIZE:
                    return frames
                self._header = decode_header(self._buffer)
            end = HEADER_SIZE + self._header.payload_length
            if len(self._buffer) < end:
                return frames
            payload = bytes(self._buffer[HEADER_SIZE:end])
            del self._buffer[:end]
            frames.append(_frame_from(self._header, memoryview(payload)))
            self._header = None

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete frame held back; non-zero at end of stream means truncation."""
        return len(self._buffer)


def iter_frames(chunks: Iterable[bytes]) -> Iterator[Frame]:
    """Frames from an iterable of byte chunks (e.g. ``httpx.Response.iter_bytes()``)."""
    reader = FrameReader()
    for data in chunks:
        yield from reader.feed(data)
    if reader.pending_bytes:
        raise WireError(f"stream ended inside a frame ({reader.pending_bytes} bytes left over)")
