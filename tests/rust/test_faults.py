"""Faults around the Rust server: killed mid-request, crashed, orphaned, and a track far
larger than any gRPC message limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest

from auralis_server.fingerprint.rust.client import BLOCK_BYTES, audio_blocks
from auralis_server.fingerprint.rust.supervisor import DspSupervisor
from tests.conftest import write_audio
from tests.rust.conftest import RustServer
from tests.server.conftest import ServerProcess


def _wait(condition: Callable[[], bool], timeout_s: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.slow
def test_killed_mid_request_python_finishes_the_track_and_the_restarted_server_takes_the_next(
    rust_binary: Path, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    server = ServerProcess(
        "--music", str(music), "--data-dir", str(tmp_path / "data"), "--fingerprint-servers", "auto"
    )
    try:
        url = server.url

        def rust() -> dict[str, object]:
            return httpx.get(f"{url}/api/health", timeout=10).json()["rust_server"]  # type: ignore[no-any-return]

        _wait(lambda: rust()["reachable"] is True, what="the supervised Rust server")
        first_pid = rust()["pid"]
        assert isinstance(first_pid, int) and rust()["mode"] == "supervised"

        def fingerprint_of(name: str) -> dict[str, object]:
            tracks = httpx.get(f"{url}/api/tracks", params={"limit": 50}).json()["tracks"]
            track_id = next(t["id"] for t in tracks if t["path"].endswith(name))
            return httpx.get(f"{url}/api/tracks/{track_id}/fingerprint").json()  # type: ignore[no-any-return]

        def scanned(name: str) -> bool:
            tracks = httpx.get(f"{url}/api/tracks", params={"limit": 50}).json()["tracks"]
            return any(t["path"].endswith(name) for t in tracks)

        # Freeze the Rust server so the request is surely in flight, then kill it.
        os.kill(first_pid, signal.SIGSTOP)
        write_audio(music / "a.wav", 30.0, seed=1)
        httpx.post(f"{url}/api/library/scan")
        _wait(lambda: scanned("a.wav"), what="the scan of a.wav")
        _wait(lambda: fingerprint_of("a.wav")["status"] == "processing", what="a.wav in flight")
        time.sleep(0.3)
        os.kill(first_pid, signal.SIGKILL)
        _wait(lambda: fingerprint_of("a.wav")["status"] == "complete", what="the Python fallback")
        assert fingerprint_of("a.wav")["source"] == "python"

        _wait(lambda: rust()["reachable"] is True and rust()["pid"] != first_pid, what="restart")
        assert rust()["restarts"] >= 1
        write_audio(music / "b.wav", 30.0, seed=2)
        httpx.post(f"{url}/api/library/scan")
        _wait(lambda: scanned("b.wav"), what="the scan of b.wav")
        _wait(lambda: fingerprint_of("b.wav")["status"] == "complete", what="b.wav")
        assert fingerprint_of("b.wav")["source"] == "rust"
        assert any("computing in Python" in line for line in server.lines)
    finally:
        server.stop()


def test_the_supervisor_restarts_a_crashed_server_and_stops_it(rust_binary: Path) -> None:
    supervisor = DspSupervisor(rust_binary, min_backoff_s=0.05)
    supervisor.start()
    try:
        assert supervisor.wait_until_up()
        first_pid, first_address = supervisor.pid, supervisor.address
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        _wait(
            lambda: supervisor.pid not in (None, first_pid) and supervisor.address is not None,
            what="a new child",
        )
        assert supervisor.restarts == 1 and first_address is not None
        second_pid = supervisor.pid
        assert second_pid is not None
    finally:
        supervisor.stop()
    assert not _pid_alive(second_pid) and supervisor.address is None


def test_the_child_does_not_outlive_a_parent_killed_with_sigkill(
    rust_binary: Path, tmp_path: Path
) -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from auralis_server.fingerprint.rust.supervisor import DspSupervisor\n"
            "s = DspSupervisor(Path(sys.argv[1])); s.start(); s.wait_until_up()\n"
            "print(s.pid, flush=True); time.sleep(600)\n",
            str(rust_binary),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert _pid_alive(child_pid)
    parent.kill()
    parent.wait(10)
    parent.stdout.close()
    _wait(lambda: not _pid_alive(child_pid), timeout_s=10, what="the orphan to exit")


def test_blocks_are_whole_frames_under_a_mebibyte_and_rebuild_the_samples() -> None:
    samples = np.random.default_rng(3).standard_normal((300_001, 3)).astype(np.float32)
    blocks = list(audio_blocks(samples, 48000, track_id=9))
    assert blocks[0].header.sample_rate_hz == 48000 and blocks[0].header.channels == 3
    assert all(not block.HasField("header") for block in blocks[1:])
    assert all(len(b.pcm_f32le) <= BLOCK_BYTES and len(b.pcm_f32le) % 12 == 0 for b in blocks)
    rebuilt = np.frombuffer(b"".join(b.pcm_f32le for b in blocks), "<f4").reshape(-1, 3)
    assert np.array_equal(rebuilt, samples)


@pytest.mark.slow
def test_a_40_minute_track_streams_through(rust_server: RustServer) -> None:
    """423 MB of float32, 26× the largest message either side accepts: 30 minutes of a
    −20 dBFS 1 kHz tone, then 10 of digital silence."""
    rate_hz = 44100
    tone_frames, silent_frames = 30 * 60 * rate_hz, 10 * 60 * rate_hz
    t = np.arange(tone_frames, dtype=np.float64) / rate_hz
    tone = (0.1 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)
    del t
    samples = np.zeros((tone_frames + silent_frames, 2), dtype=np.float32)
    samples[:tone_frames, 0] = tone
    samples[:tone_frames, 1] = tone
    del tone
    values = rust_server.client.compute_samples(samples, rate_hz)
    assert abs(values["lufs"] - -20.0) < 0.1  # EBU: a 1 kHz tone's level, both channels
    assert abs(values["silence_ratio"] - 0.25) < 0.001  # the last 10 of 40 minutes arrived
    assert abs(values["crest_db"] - 3.01) < 0.05


def test_a_binary_that_cannot_start_is_reported_at_once_and_retried(tmp_path: Path) -> None:
    broken = tmp_path / "auralis-dsp-server"
    broken.write_text(
        "#!/bin/sh\necho 'error while loading shared libraries: libsoxr.so.0'\nexit 127\n"
    )
    broken.chmod(0o755)
    supervisor = DspSupervisor(broken, min_backoff_s=0.05)
    supervisor.start()
    try:
        started = time.monotonic()
        assert supervisor.wait_until_up(timeout_s=10) is False
        assert time.monotonic() - started < 5 and supervisor.address is None
        _wait(lambda: supervisor.restarts >= 2, what="a retry")
    finally:
        supervisor.stop()
