"""Background extraction with real worker processes: sources, priority, retries, errors."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from auralis_server.fingerprint import sidecar
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION, compute_fingerprint
from auralis_server.fingerprint.scheduler import HIGH, FingerprintQueue
from auralis_server.library.models import Fingerprint, Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from shared.dimensions import DIMENSION_NAMES
from tests.conftest import write_audio


class Recorder:
    """Collects the queue's events and waits for tracks to settle."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        with self._changed:
            self.events.append(data)
            self._changed.notify_all()

    def finished(self) -> list[int]:
        return [e["track_id"] for e in self.events if e["status"] in ("complete", "error")]

    def wait_for(self, count: int, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while len(self.finished()) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, (
                    f"only {len(self.finished())} of {count} finished: {self.events}"
                )
                self._changed.wait(remaining)


@pytest.fixture
def music(tmp_path: Path, database_url: str | None) -> Iterator[Path]:
    folder = tmp_path / "music"
    for index in range(6):
        write_audio(folder / f"{index}.flac", 3.0, seed=index)
    open_database(database_url, tmp_path / "library.db")
    Scanner([folder], workers=1).run()
    yield folder
    close_database()


@pytest.fixture
def make_queue(tmp_path: Path) -> Iterator[Callable[..., tuple[FingerprintQueue, Recorder]]]:
    queues: list[FingerprintQueue] = []

    def make(workers: int = 1, **kwargs: Any) -> tuple[FingerprintQueue, Recorder]:
        recorder = Recorder()
        queue = FingerprintQueue(
            workers=workers, cache_dir=tmp_path / "cache", publish=recorder, **kwargs
        )
        queues.append(queue)
        return queue, recorder

    yield make
    for queue in queues:
        queue.stop()


def _id(music: Path, name: str) -> int:
    return int(Track.get(Track.path == str(music / name)).id)


def test_sources_in_order_python_then_database_then_sidecar(
    music: Path, make_queue: Callable[..., Any]
) -> None:
    queue, recorder = make_queue(workers=2)
    queue.start()
    recorder.wait_for(6)
    assert {e.get("source") for e in recorder.events if e["status"] == "complete"} == {"python"}
    track_id = _id(music, "0.flac")
    row = Fingerprint.get(Fingerprint.track == track_id)
    assert (row.source, row.algorithm_version, len(row.vector)) == (
        "python",
        ALGORITHM_VERSION,
        100,
    )
    stored = fingerprint_store.current_values(track_id)
    samples, rate = soundfile.read(music / "0.flac", always_2d=True)
    expected = compute_fingerprint(samples, rate)
    assert stored == pytest.approx(
        {k: float(np.float32(v)) for k, v in expected.items()}, rel=1e-6, abs=1e-6
    )
    assert sidecar.read(music / "0.flac", queue._cache_dir, ALGORITHM_VERSION) == stored

    Fingerprint.delete().execute()  # the database forgot; the sidecars remember
    Track.update(fingerprint_status="pending").execute()
    again, recorder = make_queue(workers=1)
    again.start()
    recorder.wait_for(6)
    assert {e["source"] for e in recorder.events if e["status"] == "complete"} == {"sidecar"}
    assert fingerprint_store.current_values(track_id) == stored


def test_a_high_priority_track_is_processed_before_the_backlog(
    music: Path, make_queue: Callable[..., Any]
) -> None:
    queue, recorder = make_queue(workers=1)
    urgent = _id(music, "5.flac")
    queue.start()  # the backlog: all six pending, in id order
    queue.enqueue(urgent, HIGH)
    recorder.wait_for(6)
    assert recorder.finished().index(urgent) <= 1  # right after the one already running


def test_status_counts_and_transitions(music: Path, make_queue: Callable[..., Any]) -> None:
    queue, recorder = make_queue(workers=1)
    queue.start()
    recorder.wait_for(6)
    statuses = [(e["track_id"], e["status"]) for e in recorder.events]
    for track_id in {t for t, _ in statuses}:
        assert [s for t, s in statuses if t == track_id] == ["processing", "complete"]
    assert Track.select().where(Track.fingerprint_status == "complete").count() == 6
    assert queue.status()["queue_depth"] == 0 and queue.status()["in_flight"] == 0
    assert queue.status()["rate_per_minute"] > 0


def test_silence_gets_its_documented_values_and_bad_audio_an_error(
    music: Path, make_queue: Callable[..., Any]
) -> None:
    soundfile.write(music / "silent.wav", np.zeros((44100 * 3, 2)), 44100)
    Scanner([music], workers=1).run()
    damaged = music / "1.flac"
    damaged.write_bytes(damaged.read_bytes()[:5000])  # broken after the scan
    queue, recorder = make_queue(workers=1)
    queue.start()
    recorder.wait_for(7)
    silent = fingerprint_store.current_values(_id(music, "silent.wav"))
    assert silent is not None
    assert silent["lufs"] == -70.0 and silent["silence_ratio"] == 1.0 and silent["crest_db"] == 0.0
    assert all(np.isfinite(list(silent.values())))
    broken = Track.get(Track.path == str(damaged))
    assert broken.fingerprint_status == "error"
    assert "truncated" in broken.fingerprint_error or "corrupt" in broken.fingerprint_error


def test_fingerprints_of_another_algorithm_version_are_recomputed(
    music: Path, make_queue: Callable[..., Any]
) -> None:
    track_id = _id(music, "2.flac")
    Track.update(fingerprint_status="complete").execute()
    Fingerprint.create(
        track=track_id,
        vector=b"\0" * 100,
        algorithm_version=ALGORITHM_VERSION - 1,
        source="python",
        sha256="0" * 64,
    )
    queue, recorder = make_queue(workers=1)
    queue.start()
    recorder.wait_for(6)  # five had no fingerprint at all, one an old one
    row = Fingerprint.get(Fingerprint.track == track_id)
    assert row.algorithm_version == ALGORITHM_VERSION and row.vector != b"\0" * 100


def test_a_killed_worker_is_retried(
    music: Path, make_queue: Callable[..., Any], tmp_path: Path
) -> None:
    Track.delete().execute()
    write_audio(tmp_path / "long" / "long.wav", 150.0, seed=9)
    Scanner([tmp_path / "long"], workers=1).run()
    queue, recorder = make_queue(workers=1, backoff_s=0.1)
    queue.start()
    deadline = time.monotonic() + 60
    while not multiprocessing.active_children() or not any(
        e["status"] == "processing" for e in recorder.events
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    recorder.wait_for(1)
    track = Track.get(Track.path == str(tmp_path / "long" / "long.wav"))
    assert track.fingerprint_status == "complete", track.fingerprint_error
    assert [e["status"] for e in recorder.events].count("processing") == 2


def test_values_are_named_in_spec_order(music: Path, make_queue: Callable[..., Any]) -> None:
    queue, recorder = make_queue(workers=2)
    queue.start()
    recorder.wait_for(6)
    values = fingerprint_store.current_values(_id(music, "3.flac"))
    assert values is not None and list(values) == list(DIMENSION_NAMES)
