"""`auralis-server serve` in a child process for the benches: started, its URL read from
what it prints, its log drained so it never blocks on a full pipe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def serve(
    music: Path, data: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "auralis_server.cli", "serve", "--port", "0"]
    command += ["--music", str(music), "--data-dir", str(data), "--log-level", "warning", *args]
    server = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}, cwd=ROOT
    )
    assert server.stderr is not None
    for line in server.stderr:
        match = re.search(r"(http://127\.0\.0\.1:\d+)\s*$", line)
        if match:
            threading.Thread(target=server.stderr.read, daemon=True).start()
            time.sleep(0.5)  # uvicorn is up right after it prints
            return server, match.group(1)
    raise SystemExit("the server did not start")


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    server.wait(30)
