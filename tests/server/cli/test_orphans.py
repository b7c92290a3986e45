"""`kill -9` of `auralis-server scan` takes its scan workers and resource tracker with it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auralis_server.library.scanner import _PARALLEL_THRESHOLD
from tests.conftest import write_audio

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc"
)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state first), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rpartition(")")[2].split()


def _children(parent: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"  # an unreaped zombie is already dead


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def _await(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_9_during_a_parallel_scan_leaves_no_process_behind(tmp_path: Path) -> None:
    music = tmp_path / "music"
    write_audio(music / "0.wav", 0.1)
    for index in range(1, 2 * _PARALLEL_THRESHOLD):  # enough files to take the pool path
        shutil.copyfile(music / "0.wav", music / f"{index}.wav")
    server = subprocess.Popen(
        [sys.executable, "-m", "auralis_server.cli", "scan", "--music", str(music)],
        cwd=ROOT,
        env={**os.environ, "AURALIS_DATA_DIR": str(tmp_path / "data")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: set[int] = set()
    try:

        def a_worker_runs() -> bool:
            children.update(_children(server.pid))
            return any("spawn_main" in _cmdline(pid) for pid in children)

        _await(a_worker_runs, 60, "a scan worker to start")
        children.update(_children(server.pid))
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        _await(lambda: not any(map(_alive, children)), 30, "the scan's children to exit")
    finally:
        for pid in filter(_alive, children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        server.wait(10)
