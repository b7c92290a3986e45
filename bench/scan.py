"""Library scan throughput: a generated 10 000-file tagged library, first scan and rescan.

Prints files/s for the first scan (tags + stream info of every file) and for a no-change
rescan, each beside the SPEC §10 target (1000 files/s) and the old system (740 files/s).
Usage: python bench/scan.py [--files N] [--workers W]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
from mutagen.flac import FLAC
from mutagen.id3 import TALB, TIT2, TPE1, TRCK
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auralis_server.library.models import Track, close_database, open_database  # noqa: E402
from auralis_server.library.scanner import Scanner  # noqa: E402

TARGET_FILES_PER_S = 1000.0
OLD_SYSTEM_FILES_PER_S = 740.0


def _tone(rate_hz: int, seconds: float, freq_hz: float) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    mono = 0.3 * np.sin(2 * np.pi * freq_hz * t)
    return np.stack([mono, mono * 0.8], axis=1).astype(np.float32)


def generate_library(root: Path, count: int) -> None:
    """Small FLAC, Ogg Vorbis and WAV files in artist/album folders, every one tagged."""
    for index in range(count):
        artist, album = f"Artist {index % 97:02d}", f"Album {index % 13:02d}"
        folder = root / artist / album
        folder.mkdir(parents=True, exist_ok=True)
        kind = index % 4
        audio = _tone(44100, 0.25, 220.0 + index % 400)
        title, track_no = f"Track {index:05d}", str(index % 20 + 1)
        if kind in (0, 1):
            path = folder / f"{index:05d}.flac"
            soundfile.write(path, audio, 44100, subtype="PCM_16")
            tags = FLAC(path)
            tags.update(title=title, artist=artist, album=album, tracknumber=track_no)
            tags.save()
        elif kind == 2:
            path = folder / f"{index:05d}.ogg"
            soundfile.write(path, audio, 44100, format="OGG", subtype="VORBIS")
            tags = OggVorbis(path)
            tags.update(title=title, artist=artist, album=album, tracknumber=track_no)
            tags.save()
        else:
            path = folder / f"{index:05d}.wav"
            soundfile.write(path, audio, 44100, subtype="PCM_16")
            wave = WAVE(path)
            wave.add_tags()
            for frame, text in ((TIT2, title), (TPE1, artist), (TALB, album), (TRCK, track_no)):
                wave.tags.add(frame(encoding=3, text=text))
            wave.save()


def _timed_scan(root: Path, workers: int | None) -> tuple[float, int]:
    start = time.perf_counter()
    progress = Scanner([root], workers=workers).run()
    elapsed = time.perf_counter() - start
    if progress.state != "finished" or progress.errors:
        raise SystemExit(f"scan did not finish cleanly: {progress.as_dict()}")
    return elapsed, progress.discovered


def _scan_fresh_database(
    root: Path, database_path: Path, workers: int | None
) -> tuple[float, float, int]:
    """First scan and no-change rescan into a new database; (first s, rescan s, files)."""
    open_database(None, database_path)
    try:
        first_s, files = _timed_scan(root, workers)
        rescan_s, _ = _timed_scan(root, workers)
        stored = Track.select().count()
    finally:
        close_database()
    if stored != files:
        raise SystemExit(f"library holds {stored} tracks after scanning {files} files")
    return first_s, rescan_s, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="default: one per core"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="auralis-bench-scan-") as tmp:
        root = Path(tmp) / "library"
        start = time.perf_counter()
        generate_library(root, args.files)
        print(f"generated {args.files} tagged files in {time.perf_counter() - start:.1f} s")
        for workers in sorted({1, args.workers}):
            first_s, rescan_s, files = _scan_fresh_database(
                root, Path(tmp) / f"bench{workers}.db", workers
            )
            rows.append(
                (f"first scan, {workers} worker{'s' * (workers > 1)}", first_s, files / first_s)
            )
            rows.append(
                (f"rescan, {workers} worker{'s' * (workers > 1)}", rescan_s, files / rescan_s)
            )
    print(f"{'scan':<26}{'seconds':>9}{'files/s':>10}{'× target':>10}{'× old':>8}")
    for name, seconds, rate in rows:
        print(
            f"{name:<26}{seconds:>9.2f}{rate:>10.0f}"
            f"{rate / TARGET_FILES_PER_S:>10.2f}{rate / OLD_SYSTEM_FILES_PER_S:>8.2f}"
        )
    if len(rows) > 2:
        print(
            f"{args.workers} workers scan {rows[2][2] / rows[0][2]:.2f}× as fast as 1 on a first scan"
        )


if __name__ == "__main__":
    main()
