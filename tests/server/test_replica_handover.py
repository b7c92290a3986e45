"""Two replicas on one PostgreSQL database and one music folder: a listener whose stream began
on one goes on on the other after the first dies, and the chunks join as if one server had
sent them all (each replica renders the same bytes for the same chunk)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np

from auralis_tui.engine.joiner import ChunkJoiner
from shared.wire import Frame, FrameReader
from tests.conftest import write_audio
from tests.server.conftest import ServerProcess

if TYPE_CHECKING:
    from tests.server.postgres import PostgresCluster


def _frames(url: str, track_id: int, chunks: str) -> list[Frame]:
    reader, frames = FrameReader(), []
    with httpx.stream(
        "GET", f"{url}/api/tracks/{track_id}/stream", params={"chunks": chunks}, timeout=60
    ) as response:
        assert response.status_code == 206, response.read()
        for data in response.iter_bytes():
            frames.extend(reader.feed(data))
    return frames


def _joined(frames: list[Frame]) -> np.ndarray:
    joiner = ChunkJoiner()
    return np.concatenate([joiner.feed(frame) for frame in frames])


def _fingerprinted(url: str, deadline_s: float = 120.0) -> int:
    """The one track's id, once its fingerprint is stored (the first replica computes it)."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        tracks = httpx.get(f"{url}/api/tracks", timeout=10).json()["tracks"]
        if tracks and tracks[0]["fingerprint_status"] == "complete":
            return int(tracks[0]["id"])
        time.sleep(0.1)
    raise AssertionError("the track was never fingerprinted")


def test_a_stream_begun_on_one_replica_goes_on_on_the_other_after_a_kill(
    tmp_path: Path, serve: type[ServerProcess], postgres_cluster: PostgresCluster
) -> None:
    music = tmp_path / "music"
    write_audio(music / "long.wav", 25.0, 44100, seed=41)  # three 10 s chunks
    database = postgres_cluster.create_database()

    replicas: list[ServerProcess] = []

    def replica(name: str, *extra: str) -> ServerProcess:
        replicas.append(serve(
            "--music", str(music), "--database-url", database,
            "--data-dir", str(tmp_path / name / "data"), "--cache-dir", str(tmp_path / name / "cache"),
            "--fingerprint-servers", "none", *extra,
        ))  # fmt: skip
        return replicas[-1]

    try:
        first = replica("a", "--fingerprint-workers", "1")
        first.wait_for_scan()
        track_id = _fingerprinted(first.url)
        second = replica("b", "--no-scan", "--fingerprint-workers", "0")
        began = _frames(first.url, track_id, "0-0")
        os.killpg(first.process.pid, signal.SIGKILL)  # mid-listen: no goodbye
        first.process.wait(10)
        went_on = _frames(second.url, track_id, "1-2")
        whole = _frames(second.url, track_id, "0-2")  # what one server alone sends
        assert [f.header.chunk_index for f in began + went_on] == [0, 1, 2]
        assert began[0].samples.tobytes() == whole[0].samples.tobytes()  # bit for bit
        assert np.array_equal(_joined(began + went_on), _joined(whole))
    finally:
        for server in replicas:
            server.stop()  # their connections go before the database does
        postgres_cluster.drop_database(database)
