"""`kill -9` of a server mid-fingerprint (its process alone, as `kill -9 PID` does) ends its
fingerprint workers too: none is left computing for nobody (the job is another replica's
once the lease runs out)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_audio

ROOT = Path(__file__).resolve().parents[3]

SERVER = """
import multiprocessing, sys, threading
from pathlib import Path
from auralis_server.fingerprint.scheduler import FingerprintQueue
from auralis_server.library.models import open_database
from auralis_server.library.scanner import Scanner

root = Path(sys.argv[1])
open_database(None, root / "library.db")
Scanner([root / "music"], workers=1).run()
started = threading.Event()
queue = FingerprintQueue(
    workers=1,
    cache_dir=root / "cache",
    publish=lambda kind, data: started.set() if data["status"] == "processing" else None,
)
queue.start()
started.wait(60)
while not multiprocessing.active_children():
    threading.Event().wait(0.05)
print(*[child.pid for child in multiprocessing.active_children()], flush=True)
threading.Event().wait()
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="waits on pidfds (Linux)")
def test_a_killed_servers_fingerprint_workers_end_with_it(tmp_path: Path) -> None:
    write_audio(tmp_path / "music" / "long.wav", 600.0, 44100, seed=4)  # minutes of work
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    workers = [int(pid) for pid in line.split()]
    assert workers, "the server printed no worker"
    exits = [os.pidfd_open(pid) for pid in workers]
    try:
        os.kill(server.pid, signal.SIGKILL)  # the server alone, not its process group
        server.wait(10)
        ready, _, _ = select.select(exits, [], [], 20)  # a pidfd is readable once it exited
        assert sorted(ready) == sorted(exits), "a worker outlived its server"
    finally:
        server.stdout.close()
        for fd in exits:
            os.close(fd)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
