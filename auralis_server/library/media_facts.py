"""What a client is told about a file beyond its tags: bit depth, MIME type, suffix."""

from __future__ import annotations

import functools
import os

import soundfile

_BITS = {
    "PCM_S8": 8,
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
}
CONTENT_TYPES = {
    "flac": "audio/flac",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "m4a": "audio/mp4",
    "aif": "audio/aiff",
    "aiff": "audio/aiff",
    "wv": "audio/x-wavpack",
}


def suffix_of(path: str) -> str:
    return os.path.splitext(path)[1].lstrip(".").lower()


def content_type(path: str) -> str:
    return CONTENT_TYPES.get(suffix_of(path), "application/octet-stream")


@functools.lru_cache(maxsize=8192)
def bit_depth(path: str, size: int, mtime_ns: int) -> int | None:
    """Bits per sample of a PCM file; None for lossy ones or a file that cannot be read.

    ``size`` and ``mtime_ns`` key the cache, so a changed file is read again.
    """
    try:
        return _BITS.get(soundfile.info(path).subtype)
    except (OSError, RuntimeError, soundfile.LibsndfileError):
        return None
