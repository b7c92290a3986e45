"""A library folder holding every kind of broken file the scanner must survive."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import write_audio

BAD_FILES = {
    "truncated.wav": "truncated",
    "truncated.flac": "truncated",
    "empty.flac": "empty file",
    "notes.mp3": "not a recognised audio file",
    "locked.flac": "permission denied",
}


def write_bad_files(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("truncated.wav", "truncated.flac", "locked.flac"):
        write_audio(directory / name, 3.0)
    for name in ("truncated.wav", "truncated.flac"):
        path = directory / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    (directory / "empty.flac").write_bytes(b"")
    (directory / "notes.mp3").write_text("these are my notes, not an mp3\n" * 40)
    os.chmod(directory / "locked.flac", 0)
