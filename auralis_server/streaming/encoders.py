"""One encoder per stream: samples in, the bytes of a growing file out (FLAC, MP3, Opus, WAV).

FLAC, MP3 and Opus go through libsndfile (python-soundfile ships it with libFLAC, LAME and
libopus) writing into `_ForwardSink`, a virtual file whose bytes leave as soon as they are
written. libsndfile seeks back at close to finish headers; by then those bytes are sent, so
what can be known up front is put there before they leave: FLAC's total sample count (the
stream length is known), and LAME's Xing/LAME tag frame is dropped rather than sent empty
(an empty one reads as a near-zero length). Lossy output is resampled to 48 kHz with soxr
(Opus allows nothing else, and MP3's frame padding is shortest there). WAV needs no library:
its header is exact because the length is known, which is what makes byte ranges possible.
"""

from __future__ import annotations

import io
import struct
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soundfile
import soxr
from mutagen.mp3 import HeaderNotFoundError, MPEGFrame

from shared.wire import Samples

LOSSY_RATE_HZ = 48_000
WAV_HEADER_BYTES = 44
WAV_SAMPLE_BYTES = 3  # 24-bit PCM: below the mastered signal's own noise, half of float's size
_S24_SCALE = 2.0**23
# libsndfile's MP3 compression level is 320 kbps at 0 and 32 at 1, snapped to LAME's table.
_MP3_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_LEVEL_SPAN_KBPS = (320, 32)
# libsndfile's Opus compression level is 256 kbps per channel at 0 and 6 at 1.
_OPUS_LEVEL_SPAN_KBPS = (256, 6)
_MAX_LEVEL = 0.99  # libsndfile refuses 1.0 for MP3


@dataclass(frozen=True)
class Lossy:
    """A lossy encoding at a bit rate: the libsndfile settings that give it."""

    format: str  # libsndfile's major format
    subtype: str
    kbps: int  # the whole stream's, all channels
    compression_level: float
    bitrate_mode: str | None


def mp3_settings(max_kbps: int) -> Lossy:
    """Constant bit rate (clients seek MP3 by byte ratio): LAME's highest rate ≤ ``max_kbps``."""
    kbps = max([rate for rate in _MP3_KBPS if rate <= max_kbps] or [_MP3_KBPS[0]])
    high, low = _MP3_LEVEL_SPAN_KBPS
    level = min((high - kbps) / (high - low), _MAX_LEVEL)
    return Lossy("MP3", "MPEG_LAYER_III", kbps, level, "CONSTANT")


def lossy_frames(frames: int, rate_hz: int) -> int:
    """How many 48 kHz frames soxr makes of ``frames`` (it rounds halves up)."""
    return (2 * frames * LOSSY_RATE_HZ + rate_hz) // (2 * rate_hz)


def mp3_bytes(frames_48k: int, kbps: int) -> int:
    """The exact size of the constant-rate MP3 stream of ``frames_48k`` frames: LAME ends
    with one frame past the last one its input and 576-frame delay reach (the tag placeholder
    dropped), and at 48 kHz every frame is 1152 samples of 144·kbps/48 bytes, never padded."""
    if frames_48k == 0:
        return 0
    return (-(-frames_48k // 1152) + 1) * 144 * kbps * 1000 // LOSSY_RATE_HZ


def opus_settings(max_kbps: int, channels: int) -> Lossy:
    """libopus' own variable rate around ``max_kbps`` (split evenly over the channels)."""
    high, low = _OPUS_LEVEL_SPAN_KBPS
    per_channel = min(max(max_kbps / channels, low), high)
    level = min((high - per_channel) / (high - low), _MAX_LEVEL)
    return Lossy("OGG", "OPUS", round(per_channel * channels), level, None)


def quantise_s24(samples: Samples) -> npt.NDArray[np.int32]:
    """24-bit integers (in int32) of float samples, clipped to full scale."""
    scaled = np.rint(samples.astype(np.float64) * _S24_SCALE)
    return np.clip(scaled, -(2**23), 2**23 - 1).astype(np.int32)


def wav_header(frames: int, rate_hz: int, channels: int) -> bytes:
    """The 44-byte RIFF/WAVE header of 24-bit PCM holding exactly ``frames`` frames."""
    block_bytes = channels * WAV_SAMPLE_BYTES
    data_bytes = frames * block_bytes
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        WAV_HEADER_BYTES - 8 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        channels,
        rate_hz,
        rate_hz * block_bytes,
        block_bytes,
        WAV_SAMPLE_BYTES * 8,
        b"data",
        data_bytes,
    )


def wav_samples(samples: Samples) -> bytes:
    """Interleaved little-endian 24-bit PCM of ``samples``."""
    as_int = quantise_s24(samples).astype("<i4")
    return as_int.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


class _ForwardSink:
    """A write-only virtual file for libsndfile whose written bytes are taken as they come.

    Writes behind what was taken (header updates at close) are dropped; ``patch`` may fix up
    the first bytes just before they are first taken.
    """

    def __init__(self) -> None:
        self._pending = bytearray()  # bytes from offset ``_taken`` on
        self._taken = 0
        self._position = 0

    def write(self, data: bytes) -> int:
        start = self._position - self._taken
        self._position += len(data)
        if start < 0:
            data, start = data[-start:], 0
        self._pending[start : start + len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        end = self._taken + len(self._pending)
        self._position = {0: offset, 1: self._position + offset, 2: end + offset}[whence]
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int) -> bytes:
        raise OSError("a streamed file cannot be read back")

    def take(self) -> bytes:
        out = bytes(self._pending)
        self._taken += len(out)
        self._pending.clear()
        return out


class LibsndfileEncoder:
    """FLAC (24-bit) or a lossy format through libsndfile; lossy input resampled to 48 kHz.

    ``feed`` returns the bytes ready so far (maybe none), ``finish`` the rest. Blocking:
    callers run it in a worker thread. A lock keeps `close` (a client gone: the event loop
    gives up on a ``feed`` still running in its thread) from freeing libsndfile's state under
    that ``feed``, which crashed the process.
    """

    def __init__(
        self, rate_hz: int, channels: int, total_frames: int, lossy: Lossy | None = None
    ) -> None:
        self._sink = _ForwardSink()
        self._lossy = lossy
        self._total_frames = total_frames
        self._started = False
        self._lock = threading.Lock()
        self._resampler = (
            soxr.ResampleStream(rate_hz, LOSSY_RATE_HZ, channels, dtype="float32")
            if lossy is not None and rate_hz != LOSSY_RATE_HZ
            else None
        )
        out_rate_hz = LOSSY_RATE_HZ if lossy is not None else rate_hz
        self._file = soundfile.SoundFile(
            self._sink,
            "w",
            samplerate=out_rate_hz,
            channels=channels,
            format=lossy.format if lossy else "FLAC",
            subtype=lossy.subtype if lossy else "PCM_24",
            compression_level=lossy.compression_level if lossy else None,
            bitrate_mode=lossy.bitrate_mode if lossy else None,
        )

    def feed(self, samples: Samples) -> bytes:
        with self._lock:
            if self._file.closed:
                return b""
            if self._resampler is not None:
                samples = self._resampler.resample_chunk(np.ascontiguousarray(samples, np.float32))
            self._write(samples)
            return self._taken()

    def finish(self) -> bytes:
        with self._lock:
            if self._resampler is not None:
                flushed = self._resampler.resample_chunk(
                    np.zeros((0, self._file.channels), np.float32), last=True
                )
                self._write(flushed)
            self._file.close()
            return self._taken()

    def close(self) -> None:
        """Give up early (the client went away), once a ``feed`` under way is done."""
        with self._lock:
            self._file.close()

    def _write(self, samples: Samples) -> None:
        if len(samples) == 0:
            return
        # FLAC from 24-bit integers, so its samples are the WAV's exactly.
        self._file.write(samples if self._lossy else quantise_s24(samples) << 8)

    def _taken(self) -> bytes:
        data = self._sink.take()
        if data and not self._started:
            self._started = True
            data = self._first_bytes(data)
        return data

    def _first_bytes(self, data: bytes) -> bytes:
        if self._lossy is None:
            return _with_flac_total(data, self._total_frames)
        if self._lossy.format == "MP3":
            return _without_tag_frame(data)
        return data


def _with_flac_total(data: bytes, total_frames: int) -> bytes:
    """STREAMINFO's 36-bit total sample count (bytes 21-25 after ``fLaC`` and the block
    header), which libFLAC would only write at close."""
    if data[:4] != b"fLaC" or len(data) < 26:
        return data
    packed = int.from_bytes(data[18:26], "big")
    packed = (packed & ~(2**36 - 1)) | min(total_frames, 2**36 - 1)
    return data[:18] + packed.to_bytes(8, "big") + data[26:]


def _without_tag_frame(data: bytes) -> bytes:
    """The MP3 stream without LAME's placeholder for the Xing/LAME tag frame, which is filled
    in only at close: left empty, decoders read it as a frame (or a bogus length)."""
    try:
        frame = MPEGFrame(io.BytesIO(data))
    except HeaderNotFoundError:
        return data
    if frame.frame_offset != 0:
        return data
    per_frame = 144 if frame.version == 1 else 72
    size = per_frame * frame.bitrate // frame.sample_rate + frame.padding
    frame = data[:size]
    # The placeholder is a header and zeros; a stream so short that all of it comes at close
    # has the finished tag there instead, dropped too so every stream's length is `mp3_bytes`.
    is_tag = not any(frame[4:]) or b"Info" in frame or b"Xing" in frame
    return data[size:] if is_tag else data
