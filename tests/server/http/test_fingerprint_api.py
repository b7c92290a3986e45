"""Fingerprints through the HTTP API and a real server process, including a kill -9."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION
from auralis_server.library.models import Track
from shared.dimensions import DIMENSION_NAMES
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library, ServerProcess


def _wait(condition: Callable[[], bool], timeout_s: float = 120, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_post_queues_high_and_get_returns_the_named_values(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app(fingerprint_workers=1))
    track_id = library.track_id("mono.wav")
    events: list[dict[str, object]] = []
    with httpx.stream("GET", f"{server.url}/api/events", timeout=120) as stream:
        response = httpx.post(f"{server.url}/api/tracks/{track_id}/fingerprint")
        assert response.status_code == 202 and response.json()["priority"] == "high"
        event = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "fingerprint":
                events.append(json.loads(line.split(":", 1)[1]))
                if events[-1] == {"track_id": track_id, "status": "complete", "source": "python"}:
                    break
    body = httpx.get(f"{server.url}/api/tracks/{track_id}/fingerprint").json()
    assert body["status"] == "complete" and body["source"] == "python" and body["error"] is None
    assert list(body["values"]) == list(DIMENSION_NAMES)
    assert (
        body["values"]["stereo_width"] == 0.0 and body["values"]["phase_correlation"] == 1.0
    )  # mono
    assert body["algorithm_version"] == ALGORITHM_VERSION and body["computed_at"].endswith("Z")

    def settled() -> bool:
        counts = httpx.get(f"{server.url}/api/fingerprints/status").json()["counts"]
        return counts["pending"] == counts["processing"] == 0

    _wait(settled, what="the backlog")
    status = httpx.get(f"{server.url}/api/fingerprints/status").json()
    assert status["counts"] == {
        state: Track.select().where(Track.fingerprint_status == state).count()
        for state in ("pending", "processing", "complete", "error")
    }
    assert status["backend"] == "python" and status["workers"] == 1 and status["queue_depth"] == 0
    unreadable = library.track_id("bad/empty.flac")
    assert httpx.post(f"{server.url}/api/tracks/{unreadable}/fingerprint").status_code == 422
    assert httpx.post(f"{server.url}/api/tracks/999/fingerprint").status_code == 404


def test_kill_9_while_fingerprinting_then_restart_leaves_nothing_processing(
    serve: type[ServerProcess], tmp_path: Path
) -> None:
    music = tmp_path / "music"
    for index in range(6):
        write_audio(music / f"{index}.wav", 40.0, seed=index)
    # Python workers: the Rust server finishes these too fast to be caught mid-job.
    args = ("--music", str(music), "--data-dir", str(tmp_path / "data"))
    args += ("--fingerprint-servers", "none")
    first = serve(*args)

    def processing() -> bool:
        counts = httpx.get(f"{first.url}/api/fingerprints/status").json()["counts"]
        return counts["processing"] > 0 and counts["pending"] > 0

    _wait(processing, what="fingerprinting to start")
    os.killpg(first.process.pid, signal.SIGKILL)  # the server and its workers, mid-job
    first.process.wait(10)
    second = serve(*args)

    def counts() -> dict[str, int]:
        return httpx.get(f"{second.url}/api/fingerprints/status").json()["counts"]  # type: ignore[no-any-return]

    _wait(lambda: counts()["pending"] == counts()["processing"] == 0, what="recovery")
    assert counts() == {"pending": 0, "processing": 0, "complete": 6, "error": 0}
    assert any("left processing by an earlier run" in line for line in second.lines)
