"""Library scanner: walks the music folders, reads new or changed files, drops vanished ones.

Incremental by (size, mtime): an unchanged file costs one ``stat``. A file that cannot be
read is stored with its error (and fingerprint status ``error``) so the user can see why it
does not play; it never stops the scan. A music folder that is missing (an unmounted NAS
share) is reported and its tracks are kept, not deleted.
"""

from __future__ import annotations

import logging
import os
import stat as stat_module
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from auralis_server.audio.source import AUDIO_EXTENSIONS, AudioReadError, probe
from auralis_server.library.folding import SEARCH_FIELDS, search_text
from auralis_server.library.models import Fingerprint, Track, database
from auralis_server.library.tags import read_tags
from auralis_server.library.worker_guard import die_with_parent

log = logging.getLogger("auralis.scan")

_WRITE_BATCH = 500
_PARALLEL_THRESHOLD = 2000  # below this, starting worker processes costs more than it saves
_PROGRESS_INTERVAL_S = 0.25
_METADATA_COLUMNS = (
    "title",
    "artist",
    "album",
    "album_artist",
    "track_no",
    "disc_no",
    "year",
    "genre",
    "duration",
    "total_frames",
    "sample_rate",
    "channels",
    "codec",
)


@dataclass
class ScanProgress:
    state: str = "idle"  # idle | running | finished | cancelled | failed
    roots: list[str] = field(default_factory=list)
    discovered: int = 0
    processed: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: int = 0
    root_errors: list[str] = field(default_factory=list)
    started_at: float | None = None
    elapsed_seconds: float = 0.0
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ProgressCallback = Callable[[ScanProgress], None]


@dataclass(frozen=True)
class _Candidate:
    path: str
    size: int
    mtime_ns: int


def _walk(root: Path, seen_dirs: set[tuple[int, int]]) -> Iterator[_Candidate]:
    """Audio files under ``root``; follows directory symlinks once (loops are cut)."""
    stack = [str(root)]
    while stack:
        directory = stack.pop()
        try:
            stat = os.stat(directory)
            key = (stat.st_dev, stat.st_ino)
            if key in seen_dirs:
                continue
            seen_dirs.add(key)
            entries = list(os.scandir(directory))
        except OSError as exc:
            log.warning("cannot list %s: %s", directory, exc.strerror or exc)
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    stack.append(entry.path)
                elif os.path.splitext(entry.name)[1].lower() in AUDIO_EXTENSIONS:
                    st = entry.stat()
                    if not stat_module.S_ISREG(st.st_mode):  # a FIFO would block the reader
                        log.warning("not a regular file, passed over: %s", entry.path)
                        continue
                    yield _Candidate(entry.path, st.st_size, st.st_mtime_ns)
            except OSError as exc:
                log.warning("cannot stat %s: %s", entry.path, exc.strerror or exc)


def examine(candidate: _Candidate) -> dict[str, Any]:
    """The Track row for one file: tags and stream info, or its error."""
    path = Path(candidate.path)
    row: dict[str, Any] = {
        **dict.fromkeys(_METADATA_COLUMNS),
        "path": candidate.path,
        "size": candidate.size,
        "mtime_ns": candidate.mtime_ns,
        "fingerprint_status": "pending",
        "fingerprint_error": None,
        "fingerprint_computed_at": None,
        "scan_error": None,
    }
    try:
        info = probe(path)
    except AudioReadError as exc:
        row.update(
            title=path.stem,
            scan_error=str(exc),
            fingerprint_status="error",
            fingerprint_error=f"unreadable audio: {exc}",
        )
    else:
        row.update(read_tags(path))
        row.update(
            duration=info.duration_seconds,
            total_frames=info.total_frames,
            sample_rate=info.sample_rate_hz,
            channels=info.channels,
            codec=info.codec,
        )
    row["search"] = search_text(row[name] for name in SEARCH_FIELDS)
    return row


def _examine_all(candidates: list[_Candidate], workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(candidates) < _PARALLEL_THRESHOLD:
        yield from map(examine, candidates)
        return
    # spawn, not fork: the server is multi-threaded when it scans. The workers (and through
    # them the resource tracker) end with this process even when it is killed with SIGKILL.
    with ProcessPoolExecutor(
        workers,
        mp_context=get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        yield from pool.map(examine, candidates, chunksize=64)


class Scanner:
    """One scan at a time over the given roots; progress goes to ``on_progress``."""

    def __init__(
        self,
        roots: Iterable[Path],
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        workers: int | None = None,
    ) -> None:
        self.roots = [Path(os.path.abspath(root)) for root in roots]
        self.progress = ScanProgress(roots=[str(root) for root in self.roots])
        self._on_progress = on_progress
        self._cancel = cancel or threading.Event()
        self._workers = workers if workers is not None else (os.cpu_count() or 1)
        self._last_report = 0.0

    def _report(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress.started_at is not None:
            self.progress.elapsed_seconds = time.time() - self.progress.started_at
        if self._on_progress and (force or now - self._last_report >= _PROGRESS_INTERVAL_S):
            self._last_report = now
            self._on_progress(self.progress)

    def run(self) -> ScanProgress:
        progress = self.progress
        progress.state = "running"
        progress.started_at = time.time()
        self._report(force=True)
        try:
            self._scan()
            progress.state = "cancelled" if self._cancel.is_set() else "finished"
        except Exception as exc:
            log.exception("scan failed")
            progress.state, progress.detail = "failed", f"{type(exc).__name__}: {exc}"
        self._report(force=True)
        log.info(
            "scan %s: %d files, %d added, %d updated, %d removed, %d unreadable in %.2f s",
            progress.state,
            progress.discovered,
            progress.added,
            progress.updated,
            progress.removed,
            progress.errors,
            progress.elapsed_seconds,
        )
        return progress

    def _scan(self) -> None:
        progress = self.progress
        known: dict[str, tuple[int, int, int]] = {
            path: (track_id, size, mtime_ns)
            for track_id, path, size, mtime_ns in Track.select(
                Track.id, Track.path, Track.size, Track.mtime_ns
            ).tuples()
        }
        seen: set[str] = set()
        to_examine: list[_Candidate] = []
        walked_roots: list[str] = []
        seen_dirs: set[tuple[int, int]] = set()
        for root in self.roots:
            if not root.is_dir():
                progress.root_errors.append(
                    f"{root}: not a readable directory; its tracks are kept"
                )
                continue
            walked_roots.append(str(root).rstrip(os.sep) + os.sep)
            for candidate in _walk(root, seen_dirs):
                seen.add(candidate.path)
                progress.discovered += 1
                old = known.get(candidate.path)
                if old is not None and old[1:] == (candidate.size, candidate.mtime_ns):
                    progress.unchanged += 1
                    progress.processed += 1
                else:
                    to_examine.append(candidate)
                self._report()
                if self._cancel.is_set():
                    return
        self._write(self._rows(to_examine), known)
        if self._cancel.is_set():
            return
        vanished = [
            track_id
            for path, (track_id, _, _) in known.items()
            if path not in seen and any(path.startswith(prefix) for prefix in walked_roots)
        ]
        for start in range(0, len(vanished), _WRITE_BATCH):
            with database.atomic():
                Track.delete().where(Track.id.in_(vanished[start : start + _WRITE_BATCH])).execute()
        progress.removed = len(vanished)

    def _rows(self, candidates: list[_Candidate]) -> Iterator[dict[str, Any]]:
        for row in _examine_all(candidates, self._workers):
            self.progress.processed += 1
            if row["scan_error"]:
                self.progress.errors += 1
            self._report()
            yield row
            if self._cancel.is_set():
                return

    def _write(
        self, rows: Iterator[dict[str, Any]], known: dict[str, tuple[int, int, int]]
    ) -> None:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _WRITE_BATCH:
                self._flush(batch, known)
                batch = []
        if batch:
            self._flush(batch, known)

    def _flush(self, batch: list[dict[str, Any]], known: dict[str, tuple[int, int, int]]) -> None:
        new = [row for row in batch if row["path"] not in known]
        changed = [row for row in batch if row["path"] in known]
        with database.atomic():
            if new:
                Track.insert_many(new).execute()
            for row in changed:
                track_id = known[row["path"]][0]
                Track.update(**row).where(Track.id == track_id).execute()
            if changed:
                changed_ids = [known[row["path"]][0] for row in changed]
                Fingerprint.delete().where(Fingerprint.track.in_(changed_ids)).execute()
        self.progress.added += len(new)
        self.progress.updated += len(changed)


def refresh_track(track: Track) -> Track:
    """Re-read one file that changed since the scan (size or mtime) and store what it is now."""
    stat = os.stat(track.path)
    row = examine(_Candidate(track.path, stat.st_size, stat.st_mtime_ns))
    with database.atomic():
        Track.update(**row).where(Track.id == track.id).execute()
        Fingerprint.delete().where(Fingerprint.track == track.id).execute()
    log.info("track %d changed on disk; re-read it", track.id)
    return Track.get_by_id(track.id)
