"""What the screenshot scripts share: a server in a temporary home, its library fingerprinted.

`served(music)` runs `auralis-server serve` on MUSIC (or the bundled demo library when None)
on a free port with a throw-away HOME, waits until the scan is done and no fingerprint is
pending, and yields its URL; the server stops when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

LIBRARY_TIMEOUT_S = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_library(url: str, log: Path) -> None:
    deadline = time.monotonic() + LIBRARY_TIMEOUT_S
    while "scan finished" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    while time.monotonic() < deadline:
        counts = httpx.get(f"{url}/api/fingerprints/status").json()["counts"]
        if not counts["pending"] and not counts["processing"]:
            return
        time.sleep(0.2)


@contextlib.contextmanager
def served(music: Path | None = None) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as home:
        port = _free_port()
        env = {**os.environ, "HOME": home, "AURALIS_PORT": str(port)}
        env = {k: v for k, v in env.items() if not k.startswith("XDG_")}
        command = [sys.executable, "-m", "auralis_server.cli", "serve"]
        command += ["--music", str(music)] if music else ["--demo-if-empty"]
        log = Path(home) / "server.log"
        with log.open("w") as sink:
            server = subprocess.Popen(command, env=env, stdout=sink, stderr=sink)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for_library(url, log)
            yield url
        finally:
            server.terminate()
            server.wait(10)
