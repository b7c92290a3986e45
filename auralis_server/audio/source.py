"""Reading audio files: probing stream info with integrity checks, and decoding frame spans.

Errors are AudioReadError with a message fit to show a user ("permission denied", "empty
file", "truncated: …"), never a libsndfile message that blames the wrong thing.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

AUDIO_EXTENSIONS = frozenset(
    {".flac", ".wav", ".wave", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc"}
)

# Formats whose header frame count libsndfile only estimates (from bitrate or a VBR table).
_ESTIMATED_LENGTH_FORMATS = frozenset({"MP3"})
# mpg123 decodes silence for about one MPEG frame after a seek (bit reservoir and filterbank
# not primed), so reads start this many frames early and drop them.
_SEEK_PREROLL_FRAMES = {"MP3": 8 * 1152}


class AudioReadError(Exception):
    """The file cannot be used as audio; ``str()`` is a one-line reason."""


@dataclass(frozen=True)
class StreamInfo:
    sample_rate_hz: int
    channels: int
    total_frames: int
    codec: str

    @property
    def duration_seconds(self) -> float:
        return self.total_frames / self.sample_rate_hz


def _open(path: Path) -> soundfile.SoundFile:
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except PermissionError:
        raise AudioReadError("permission denied") from None
    except FileNotFoundError:
        raise AudioReadError("file not found") from None
    except IsADirectoryError:
        raise AudioReadError("is a directory") from None
    except OSError as exc:
        raise AudioReadError(f"cannot open: {exc.strerror or exc}") from None
    if not head:
        raise AudioReadError("empty file (0 bytes)")
    try:
        return soundfile.SoundFile(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioReadError(f"not a recognised audio file ({_short(exc)})") from None


def _short(exc: Exception) -> str:
    text = str(exc).split(": ", 1)[-1] if str(exc).startswith("Error opening") else str(exc)
    if "does not exist or is not a regular file" in text:
        return "no known audio format header"
    return text.strip() or type(exc).__name__


def _missing_data_bytes(path: Path) -> int:
    """Bytes the RIFF/AIFF header promises in its audio chunk but the file lacks (0 if none).

    libsndfile silently plays a truncated WAV/AIFF as a shorter one, so the scanner compares
    the declared data-chunk size with the bytes actually present.
    """
    with path.open("rb") as handle:
        head = handle.read(12)
        if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
            size_format, wanted = ("<I" if head[:4] == b"RIFF" else ">I"), b"data"
        elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            size_format, wanted = ">I", b"SSND"
        else:
            return 0  # RF64, W64 and others: nothing cheap to check
        file_size = os.fstat(handle.fileno()).st_size
        offset = 12
        while offset + 8 <= file_size:
            handle.seek(offset)
            chunk = handle.read(8)
            (declared,) = struct.unpack(size_format, chunk[4:8])
            if chunk[:4] == wanted:
                available = file_size - offset - 8
                return max(0, declared - available) if declared != 0xFFFFFFFF else 0
            offset += 8 + declared + (declared & 1)
    return 0


def _decoded_frames(sound: soundfile.SoundFile, estimate: int) -> int:
    """Exact frame count where the header only estimates it (MP3): decode the last seconds.

    Seeking is sample-accurate, so counting what decodes after a point shortly before the
    estimated end costs a few milliseconds instead of a full decode.
    """
    for back_s in (2.0, 30.0, None):
        start = 0 if back_s is None else max(0, estimate - int(back_s * sound.samplerate))
        try:
            sound.seek(start)
            decoded = 0
            while block := len(sound.read(65536, dtype="float32")):
                decoded += block
        except (soundfile.LibsndfileError, RuntimeError):
            continue
        if decoded or start == 0:
            return start + decoded
    raise AudioReadError("corrupt: no audio frame decodes")


def probe(path: Path) -> StreamInfo:
    """Stream info of ``path``, after checking it decodes at its last frame and is not truncated."""
    with _open(path) as sound:
        frames = sound.frames
        if sound.format in _ESTIMATED_LENGTH_FORMATS and frames > 0:
            frames = _decoded_frames(sound, frames)
        if frames <= 0:
            raise AudioReadError("no audio frames")
        if sound.samplerate <= 0 or sound.channels <= 0:
            raise AudioReadError("invalid stream header (zero sample rate or channels)")
        try:
            sound.seek(frames - 1)
            last = sound.read(1, dtype="float32")
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise AudioReadError(f"truncated or corrupt: cannot decode the end ({exc})") from None
        if len(last) != 1:
            raise AudioReadError("truncated: the end of the stream is missing")
        info = StreamInfo(
            sound.samplerate, sound.channels, frames, _codec(sound.format, sound.subtype)
        )
    missing = _missing_data_bytes(path)
    if missing:
        raise AudioReadError(
            f"truncated: {missing} bytes of audio data missing; "
            f"the file holds {info.duration_seconds:.2f} s"
        )
    return info


def _codec(fmt: str, subtype: str) -> str:
    if fmt == "OGG":
        return subtype.lower()  # vorbis or opus
    if fmt in ("MP3", "FLAC"):
        return fmt.lower()
    return f"{fmt.lower()}/{subtype.lower()}"


def read_frames(path: Path, start: int, stop: int) -> npt.NDArray[np.float32]:
    """Decode frames ``[start, stop)`` as (frames, channels) float32, seeking, not reading from 0."""
    if not 0 <= start <= stop:
        raise ValueError(f"bad span [{start}, {stop})")
    with _open(path) as sound:
        preroll = min(start, _SEEK_PREROLL_FRAMES.get(sound.format, 0))
        try:
            if start:
                sound.seek(start - preroll)
            samples = sound.read(stop - start + preroll, dtype="float32", always_2d=True)[preroll:]
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise AudioReadError(f"decode failed at frame {start}: {exc}") from None
    if len(samples) != stop - start:
        raise AudioReadError(
            f"file ended early: wanted frames {start}–{stop}, got {len(samples)} "
            "(changed or truncated since the scan?)"
        )
    return samples
