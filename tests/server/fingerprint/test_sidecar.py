from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from auralis_server.fingerprint import sidecar
from shared.dimensions import DIMENSION_NAMES

VALUES = {name: float(index) / 4 for index, name in enumerate(DIMENSION_NAMES)}


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    path = tmp_path / "music" / "song.flac"
    path.parent.mkdir()
    path.write_bytes(b"pretend audio")
    return path


def test_round_trip_beside_the_audio(audio: Path, tmp_path: Path) -> None:
    written = sidecar.write(audio, tmp_path / "cache", VALUES, 1)
    assert written == audio.with_name("song.flac.25d")
    data = written.read_bytes()
    assert len(data) == 120 == sidecar.SIDECAR_BYTES
    assert struct.unpack_from("<I", data)[0] == 0x25D00001
    assert struct.unpack_from("<Q", data, 4)[0] == os.stat(audio).st_mtime_ns
    assert sidecar.read(audio, tmp_path / "cache", 1) == VALUES
    assert not list(written.parent.glob(".*"))  # no temporary left behind


def _corrupt_crc(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def _flip_value(data: bytes) -> bytes:
    return data[:20] + bytes([data[20] ^ 0x01]) + data[21:]


def _wrong_version(data: bytes) -> bytes:
    return struct.pack("<I", 0x25D00002) + data[4:]


def _wrong_count(data: bytes) -> bytes:
    return data[:12] + struct.pack("<I", 24) + data[16:]


def _truncate(data: bytes) -> bytes:
    return data[:100]


@pytest.mark.parametrize(
    "damage", [_corrupt_crc, _flip_value, _wrong_version, _wrong_count, _truncate]
)
def test_damaged_sidecars_are_ignored_and_rewritten(
    audio: Path, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    path = sidecar.write(audio, tmp_path / "cache", VALUES, 1)
    assert path is not None
    path.write_bytes(damage(path.read_bytes()))
    assert sidecar.read(audio, tmp_path / "cache", 1) is None
    assert sidecar.write(audio, tmp_path / "cache", VALUES, 1) == path
    assert sidecar.read(audio, tmp_path / "cache", 1) == VALUES


def test_a_changed_audio_file_makes_the_sidecar_stale(audio: Path, tmp_path: Path) -> None:
    sidecar.write(audio, tmp_path / "cache", VALUES, 1)
    stat = audio.stat()
    os.utime(audio, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert sidecar.read(audio, tmp_path / "cache", 1) is None


def test_another_algorithm_version_is_stale(audio: Path, tmp_path: Path) -> None:
    sidecar.write(audio, tmp_path / "cache", VALUES, 1)
    assert sidecar.read(audio, tmp_path / "cache", 2) is None


def test_read_only_music_folder_falls_back_to_the_cache_dir(
    audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = sidecar._write_atomically

    def read_only_music(path: Path, data: bytes) -> None:
        if path.parent == audio.parent:
            raise PermissionError(13, "Read-only file system")
        real_write(path, data)

    monkeypatch.setattr(sidecar, "_write_atomically", read_only_music)
    written = sidecar.write(audio, tmp_path / "cache", VALUES, 1)
    assert written is not None and written.parent == tmp_path / "cache" / "sidecars"
    assert not audio.with_name("song.flac.25d").exists()
    assert sidecar.read(audio, tmp_path / "cache", 1) == VALUES
