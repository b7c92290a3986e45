"""A 60 000-track library in the TUI and `auralis ls` (issue 13: "libraries of any size").

Generates tiny tagged FLAC files (a 10 ms template whose Vorbis comment is rewritten per
file, so 60 000 take seconds), scans them, upgrades a copy of the scanned database from
schema v1 (no search column) to time the migration, starts `auralis-server serve` on it and
drives the TUI headless (Pilot), printing each timing beside its target:
  - start: app start → the whole listing known and its first rows drawn    (≤ 2 s)
  - `G`: key → the last track's row drawn
  - `/` search: last key of a non-ASCII word typed in another case → its one result drawn
    (≤ 300 ms)
  - `auralis ls`: every track printed, counted.
The files and database are kept in --dir between runs (generating and scanning take minutes);
delete DIR/N/scanned to scan again.
Usage: python bench/library_ui.py [--tracks N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import peewee
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auralis_server.library.migrations import MIGRATIONS, migrate  # noqa: E402
from auralis_server.library.models import MODELS, close_database, open_database  # noqa: E402
from auralis_server.library.scanner import Scanner  # noqa: E402

START_TARGET_S = 2.0
SEARCH_TARGET_S = 0.3
TRACKS_PER_ALBUM = 10
ALBUMS_PER_ARTIST = 10
# Names with letters beyond ASCII, so folding is exercised across the whole library.
ARTIST_NAMES = ("Björk", "Sigur Rós", "Mötley Crüe", "Ásgeir", "Beyoncé", "Zoë Keating",
                "Røyksopp", "Die Ärzte", "Françoise Hardy", "Łona", "Mýa", "Hüsker Dü")  # fmt: skip
TITLE_WORDS = ("Sång", "Jóga", "Été", "Straße", "Ñandú", "Fjörður", "Çiçek", "Øya")
SEARCH_INDEX = 41_234  # the track searched for (clamped to the library's size)


def _flac_template(directory: Path) -> tuple[bytes, bytes]:
    """(STREAMINFO block body, audio frames) of a 10 ms 8 kHz mono FLAC."""
    path = directory / "template.flac"
    soundfile.write(path, np.zeros(80, dtype=np.float32), 8000, subtype="PCM_16")
    data = path.read_bytes()
    position, streaminfo = 4, b""
    while True:
        header = data[position]
        length = int.from_bytes(data[position + 1 : position + 4], "big")
        if header & 0x7F == 0:
            streaminfo = data[position + 4 : position + 4 + length]
        position += 4 + length
        if header & 0x80:
            return streaminfo, data[position:]


def _vorbis_comment(tags: dict[str, str]) -> bytes:
    vendor = b"auralis bench"
    fields = [f"{key}={value}".encode() for key, value in tags.items()]
    body = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(fields))
    return body + b"".join(struct.pack("<I", len(field)) + field for field in fields)


def track_tags(index: int) -> tuple[Path, dict[str, str]]:
    """The relative path and tags of track ``index`` (the bench searches for one of them)."""
    album_no = index // TRACKS_PER_ALBUM
    artist_no = album_no // ALBUMS_PER_ARTIST
    artist = f"{ARTIST_NAMES[artist_no % len(ARTIST_NAMES)]} {artist_no:04d}"
    album = f"Ålbum {album_no:05d}"
    title = f"{TITLE_WORDS[index % len(TITLE_WORDS)]} {index:06d}"
    number = str(index % TRACKS_PER_ALBUM + 1)
    tags = {"TITLE": title, "ARTIST": artist, "ALBUM": album, "TRACKNUMBER": number}
    return Path(artist) / album / f"{int(number):02d} {title}.flac", tags


def generate_library(music: Path, count: int) -> None:
    streaminfo, frames = _flac_template(music.parent)
    head = b"fLaC" + bytes([0]) + len(streaminfo).to_bytes(3, "big") + streaminfo
    for index in range(count):
        relative, tags = track_tags(index)
        path = music / relative
        if index % TRACKS_PER_ALBUM == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        comment = _vorbis_comment(tags)
        block = bytes([0x80 | 4]) + len(comment).to_bytes(3, "big") + comment
        path.write_bytes(head + block + frames)


def timed(label: str, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"{label:<48} {elapsed:8.2f} s", flush=True)
    return elapsed


def migration_seconds(database: Path, scratch: Path) -> float:
    """The v2 upgrade's time (the search column and the sort index), on a copy of the
    library with them removed and its schema marked version 1; the later steps' tables
    and columns stay, so only step 2 runs."""
    copy = scratch / "v1.db"
    shutil.copy(database, copy)
    with sqlite3.connect(copy) as db:
        db.execute("DROP INDEX track_artist_album_disc_no_track_no_title")
        db.execute("ALTER TABLE track DROP COLUMN search")
        db.execute("UPDATE schema_version SET version = 1")
    upgrade = peewee.SqliteDatabase(copy)
    started = time.perf_counter()
    migrate(upgrade, MODELS, [step for step in MIGRATIONS if step.version == 2])
    elapsed = time.perf_counter() - started
    upgrade.close()
    return elapsed


class Server:
    def __init__(self, data: Path, music: Path) -> None:
        command = [sys.executable, "-m", "auralis_server.cli", "--data-dir", str(data),
                   "--log-level", "warning", "serve",
                   "--music", str(music), "--port", "0", "--no-scan",
                   "--fingerprint-workers", "0", "--fingerprint-servers", "none"]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.process.stderr is not None
        for line in self.process.stderr:
            found = re.search(r"(http://127\.0\.0\.1:\d+)\s*$", line)
            if found:
                self.url = found.group(1)
                # Keep reading what it logs, or a full pipe would stall the server.
                threading.Thread(target=self.process.stderr.read, daemon=True).start()
                return
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


async def _until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.002)


async def tui_timings(url: str, count: int) -> dict[str, float]:
    from auralis_tui.api import AuralisClient
    from auralis_tui.app.app import AuralisApp
    from auralis_tui.app.widgets.track_table import LOADING, TrackTable
    from auralis_tui.engine.outputs import CaptureOutput
    from auralis_tui.engine.session import Session

    title = [name for name, _ in TrackTable.COLUMNS].index("Title")
    wanted_index = min(SEARCH_INDEX, count - 1)
    _, tags = track_tags(wanted_index)
    word = tags["TITLE"].split()[0]
    query = f"{word.upper()} {wanted_index:06d}"  # e.g. "SÅNG 041234": another case
    timings: dict[str, float] = {}
    async with AuralisClient(url) as client:
        session = Session(client, lambda: CaptureOutput(realtime=True))
        started = time.perf_counter()
        app = AuralisApp(client, session)
        async with app.run_test(size=(140, 40)) as pilot:
            tracks = app.query_one("#tracks", TrackTable)
            await _until(
                lambda: len(tracks.track_ids) == count and tracks.row_cells(0)[title] != LOADING
            )
            timings["start"] = time.perf_counter() - started
            await pilot.press("tab", "tab")
            pressed = time.perf_counter()
            await pilot.press("G")
            last = len(tracks.track_ids) - 1
            await _until(
                lambda: tracks.cursor_row == last and tracks.row_cells(last)[title] != LOADING
            )
            timings["G"] = time.perf_counter() - pressed
            await pilot.press("slash", *query[:-1])
            pressed = time.perf_counter()
            await pilot.press(query[-1])
            await _until(
                lambda: len(tracks.track_ids) == 1 and tracks.row_cells(0)[title] == tags["TITLE"]
            )
            timings["search"] = time.perf_counter() - pressed
            timings["catalog rows"] = float(len(app.catalog))
            await pilot.press("escape", "q")
    print(f"  (searched for {query!r})")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=60_000)
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()) / "auralis-bench-library-ui"
    )
    args = parser.parse_args()
    base: Path = args.dir / str(args.tracks)
    music, data = base / "music", base / "data"
    database = data / "auralis.db"
    print(f"library of {args.tracks} tracks in {base}")
    if not (base / "generated").exists():
        shutil.rmtree(base, ignore_errors=True)
        music.mkdir(parents=True)
        timed("generate tiny tagged FLAC files", lambda: generate_library(music, args.tracks))
        (base / "generated").touch()
    if not (base / "scanned").exists():
        shutil.rmtree(data, ignore_errors=True)
        open_database(None, database)
        scan = Scanner([music], workers=os.cpu_count() or 1)
        seconds = timed("scan (tags + stream info)", scan.run)
        close_database()
        assert scan.progress.added == args.tracks, scan.progress
        print(f"{'  = files/s':<48} {args.tracks / seconds:8.0f}")
        (base / "scanned").touch()
    with tempfile.TemporaryDirectory() as scratch:
        upgrade_s = migration_seconds(database, Path(scratch))
    print(f"{'migration v1 → v2 (fill the search column)':<48} {upgrade_s:8.2f} s")

    server = Server(data, music)
    try:
        timings = asyncio.run(tui_timings(server.url, args.tracks))
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "auralis_tui.cli", "--server", server.url, "ls"],
            capture_output=True, text=True, cwd=ROOT, check=True,
        )  # fmt: skip
        ls_s = time.perf_counter() - started
    finally:
        server.stop()
    listed = len(result.stdout.splitlines())

    print(f"\n{'':<28}{'measured':>12}{'target':>12}")
    print(f"{'TUI start, rows drawn':<28}{timings['start']:>10.2f} s{START_TARGET_S:>10.2f} s")
    print(f"{'G to the last row drawn':<28}{timings['G'] * 1000:>9.0f} ms{'':>12}")
    print(f"{'/ search, last key→result':<28}{timings['search'] * 1000:>9.0f} ms"
          f"{SEARCH_TARGET_S * 1000:>9.0f} ms")  # fmt: skip
    print(
        f"{'rows fetched by the TUI':<28}{timings['catalog rows']:>12.0f}{args.tracks:>12} listed"
    )
    print(f"{'auralis ls':<28}{ls_s:>10.2f} s{listed:>7} of {args.tracks} rows")
    ok = (
        timings["start"] <= START_TARGET_S
        and timings["search"] <= SEARCH_TARGET_S
        and listed == args.tracks
    )
    print("\nall targets met" if ok else "\nTARGET MISSED")


if __name__ == "__main__":
    main()
