"""`.25d` sidecar files (SPEC §4): a fingerprint kept beside the audio it describes.

Layout, little-endian, 120 bytes: u32 version | u64 audio mtime (ns) | u32 count = 25 |
25 × f32 | u32 CRC-32 of the float bytes. The low 16 bits of ``version`` are the
fingerprint algorithm version (0x25D00001 for version 1), so a sidecar of an older
algorithm is stale like one of an older audio file. Anything that does not match —
version, count, checksum, mtime, size — is ignored (and later replaced), never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import tempfile
import zlib
from pathlib import Path

from shared.dimensions import DIMENSION_COUNT, DIMENSION_NAMES

log = logging.getLogger("auralis.sidecar")

SUFFIX = ".25d"
_LAYOUT = struct.Struct(f"<IQI{DIMENSION_COUNT}fI")
SIDECAR_BYTES = _LAYOUT.size
_FLOATS = struct.Struct(f"<{DIMENSION_COUNT}f")
_MAGIC = 0x25D00000


def sidecar_version(algorithm_version: int) -> int:
    return _MAGIC | (algorithm_version & 0xFFFF)


def candidate_paths(audio_path: Path, cache_dir: Path) -> tuple[Path, Path]:
    """Beside the audio file, and the fallback in the cache dir (for read-only music folders)."""
    digest = hashlib.sha1(str(audio_path).encode()).hexdigest()
    return audio_path.with_name(
        audio_path.name + SUFFIX
    ), cache_dir / "sidecars" / f"{digest}{SUFFIX}"


def encode(values: dict[str, float], audio_mtime_ns: int, algorithm_version: int) -> bytes:
    floats = _FLOATS.pack(*(values[name] for name in DIMENSION_NAMES))
    head = struct.pack("<IQI", sidecar_version(algorithm_version), audio_mtime_ns, DIMENSION_COUNT)
    return head + floats + struct.pack("<I", zlib.crc32(floats))


def decode(data: bytes, audio_mtime_ns: int, algorithm_version: int) -> dict[str, float] | None:
    """The values, or None when the bytes are not a valid, current sidecar for this audio."""
    if len(data) != SIDECAR_BYTES:
        return None
    version, mtime_ns, count, *floats, crc = _LAYOUT.unpack(data)
    if version != sidecar_version(algorithm_version) or count != DIMENSION_COUNT:
        return None
    if crc != zlib.crc32(data[16:-4]) or mtime_ns != audio_mtime_ns:
        return None
    return dict(zip(DIMENSION_NAMES, (float(v) for v in floats), strict=True))


def read(audio_path: Path, cache_dir: Path, algorithm_version: int) -> dict[str, float] | None:
    """A valid sidecar's values from beside the file or the cache dir; None if neither is valid."""
    try:
        audio_mtime_ns = os.stat(audio_path).st_mtime_ns
    except OSError:
        return None
    for path in candidate_paths(audio_path, cache_dir):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        values = decode(data, audio_mtime_ns, algorithm_version)
        if values is not None:
            return values
        log.info("ignoring invalid or stale sidecar %s", path)
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write(
    audio_path: Path, cache_dir: Path, values: dict[str, float], algorithm_version: int
) -> Path | None:
    """Write the sidecar beside the audio, or in the cache dir if that fails; the path or None."""
    try:
        data = encode(values, os.stat(audio_path).st_mtime_ns, algorithm_version)
    except OSError as exc:
        log.warning("no sidecar for %s: %s", audio_path, exc)
        return None
    for path in candidate_paths(audio_path, cache_dir):
        try:
            _write_atomically(path, data)
            return path
        except OSError as exc:
            log.debug("cannot write sidecar %s: %s", path, exc)
    log.warning("no writable place for the sidecar of %s", audio_path)
    return None
