"""Servers sharing one database: one scan at a time among them, and each other's events."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auralis_server.config import Settings
from auralis_server.events import EventBus, Reassembler, encode
from auralis_server.library.models import Track
from auralis_server.library.scan_jobs import ScanJobs
from auralis_server.library.scanner import ScanProgress
from auralis_server.services import Services, build_services
from tests.conftest import write_audio
from tests.server.postgres import PostgresCluster


class HeldBus(EventBus):
    """Holds the scan that publishes through it at its first progress report until released:
    the scan is then certainly running while the other server asks for one."""

    def __init__(self) -> None:
        super().__init__()
        self.reported = threading.Event()
        self.release = threading.Event()

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        super().publish(kind, data)
        self.reported.set()
        assert self.release.wait(60), "the test never released the scan"


@pytest.fixture
def music(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    for index in range(10):
        write_audio(folder / f"{index}.wav", 0.2, 8000, channels=1, seed=index)
    return folder


def test_a_second_server_does_not_scan_while_the_first_does(db: Path, music: Path) -> None:
    held = HeldBus()
    finished: list[ScanProgress] = []
    first = ScanJobs([music], held, workers=1, on_finished=finished.append)
    second = ScanJobs([music], EventBus(), workers=1, on_finished=finished.append)
    assert first.start()
    assert held.reported.wait(60)
    assert not second.start()  # as the scan API answers while a scan runs: not started
    assert not second.running
    held.release.set()
    assert first.wait(60)
    assert [progress.state for progress in finished] == ["finished"]
    paths = [track.path for track in Track.select(Track.path)]
    assert sorted(paths) == sorted(str(path) for path in music.iterdir())
    assert second.start()  # the lock went with the scan
    assert second.wait(60)
    assert [progress.state for progress in finished] == ["finished", "finished"]
    assert finished[1].unchanged == 10 and Track.select().count() == 10


def test_two_servers_asked_at_once_run_one_scan(db: Path, music: Path) -> None:
    held = [HeldBus(), HeldBus()]
    jobs = [ScanJobs([music], bus, workers=1) for bus in held]
    together = threading.Barrier(2)
    started: list[bool] = [False, False]

    def ask(index: int) -> None:
        together.wait()
        started[index] = jobs[index].start()

    askers = [threading.Thread(target=ask, args=(index,)) for index in range(2)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(60)
    assert sorted(started) == [False, True]
    for bus in held:
        bus.release.set()
    assert all(job.wait(60) for job in jobs)
    assert Track.select().count() == 10


@pytest.fixture
def shared_database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url)


def _services(url: str, tmp_path: Path, name: str) -> Services:
    settings = Settings(
        database_url=url,
        data_dir=tmp_path / name,
        cache_dir=tmp_path / name / "cache",
        fingerprint_workers=0,
        fingerprint_servers="none",
        replica_id=name,
    )
    return build_services(settings)


def test_an_event_published_on_one_server_reaches_the_other_servers_subscribers(
    shared_database: str, tmp_path: Path
) -> None:
    first, second = (_services(shared_database, tmp_path, name) for name in ("a", "b"))
    first.start(background_fingerprints=False)
    second.start(background_fingerprints=False)
    big = {"track_id": 7, "detail": "é" * 12_000}  # 24 KB of UTF-8: past NOTIFY's 8000 bytes
    sent = [("scan", {"state": "running", "processed": 3}), ("fingerprint", big)]

    async def exchange() -> tuple[list[tuple[str, dict[str, Any]]], ...]:
        theirs, ours = second.bus.subscribe(), first.bus.subscribe()
        for kind, data in sent:
            first.bus.publish(kind, data)
        received = [await asyncio.wait_for(theirs.get(), 30) for _ in sent]
        first.bus.publish("scan", {"state": "finished"})  # after the echoes, were there any
        await asyncio.wait_for(theirs.get(), 30)
        own = [ours.get_nowait() for _ in range(ours.qsize())]
        return [(e.kind, e.data) for e in received], [(e.kind, e.data) for e in own]

    try:
        received, own = asyncio.run(exchange())
    finally:
        second.stop()
        first.stop()
    assert received == sent
    assert own == [*sent, ("scan", {"state": "finished"})]  # each once: no echo of its own


def test_a_long_event_is_split_below_the_notify_limit_and_joined_in_any_interleaving() -> None:
    data = {"text": "ü" * 9000, "n": 1}
    mine = encode("a", 1, "scan", data)
    theirs = encode("b", 1, "scan", {"text": "x" * 20_000})
    assert len(mine) == 4 and all(len(part.encode()) < 8000 for part in mine + theirs)
    joined = Reassembler()
    results = [joined.take(part) for pair in zip(mine, theirs, strict=False) for part in pair]
    results += [joined.take(part) for part in theirs[len(mine) :]]
    done = [result for result in results if result is not None]
    assert done == [("a", "scan", data), ("b", "scan", {"text": "x" * 20_000})]
    assert joined.take(encode("c", 2, "scan", {"small": True})[0]) == (
        "c",
        "scan",
        {"small": True},
    )
