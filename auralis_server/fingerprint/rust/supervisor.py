"""Runs the Rust fingerprint server (`auralis-dsp-server`) as a supervised child process.

The child listens on a free loopback port it picks itself and says which on its first line;
it exits when its stdin closes, so it never outlives this process, even one killed with -9.
A crash is logged and the child started again with exponential backoff (reset after a minute
of uptime); ``stop`` ends it with the server.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

log = logging.getLogger("auralis.dsp")

BINARY_NAME = "auralis-dsp-server"
_REPO_BINARY = Path(__file__).resolve().parents[3] / "rust-dsp" / "target" / "release" / BINARY_NAME
_LISTENING = re.compile(r"^listening on (\S+)$")
START_TIMEOUT_S = 10.0
MIN_BACKOFF_S, MAX_BACKOFF_S = 0.25, 30.0
STABLE_AFTER_S = 60.0


def find_binary() -> Path | None:
    """$AURALIS_DSP_SERVER, else the binary `make setup` builds, else one on $PATH."""
    configured = os.environ.get("AURALIS_DSP_SERVER")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    if _REPO_BINARY.is_file():
        return _REPO_BINARY
    found = shutil.which(BINARY_NAME)
    return Path(found) if found else None


class DspSupervisor:
    def __init__(self, binary: Path, *, min_backoff_s: float = MIN_BACKOFF_S) -> None:
        self.binary = binary
        self._min_backoff_s = min_backoff_s
        self._process: subprocess.Popen[str] | None = None
        self._address: str | None = None
        self._condition = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.restarts = 0

    @property
    def address(self) -> str | None:
        """host:port of the running child, None while it is down or restarting."""
        with self._condition:
            return self._address

    @property
    def pid(self) -> int | None:
        with self._condition:
            return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dsp-supervisor", daemon=True)
        self._thread.start()

    def wait_until_up(self, timeout_s: float = START_TIMEOUT_S) -> bool:
        """True once the child listens; False at the timeout or as soon as a start failed."""
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while self._address is None and not self._stopping and self.restarts == 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return self._address is not None

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            process = self._process
            self._condition.notify_all()
        if process is not None:
            _end(process)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        backoff_s = self._min_backoff_s
        while True:
            with self._condition:
                if self._stopping:
                    return
            started = time.monotonic()
            exit_code = self._run_once()
            with self._condition:
                self._address = None
                self._process = None
                if self._stopping:
                    return
            if time.monotonic() - started > STABLE_AFTER_S:
                backoff_s = self._min_backoff_s
            with self._condition:
                self.restarts += 1
                self._condition.notify_all()
            log.warning(
                "%s exited (code %s); restarting in %.2f s", BINARY_NAME, exit_code, backoff_s
            )
            with self._condition:
                self._condition.wait_for(lambda: self._stopping, backoff_s)
            backoff_s = min(MAX_BACKOFF_S, backoff_s * 2)

    def _run_once(self) -> int | None:
        """Start the child, publish its address, wait for it to end; its exit code."""
        try:
            process = subprocess.Popen(
                [str(self.binary), "--listen", "127.0.0.1:0", "--exit-with-stdin"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,  # the child's own errors go to the server's log
                text=True,
            )
        except OSError as exc:
            log.error("cannot start %s: %s", self.binary, exc)
            return None
        with self._condition:
            self._process = process
            if self._stopping:
                _end(process)
                return process.returncode
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline().strip()
            match = _LISTENING.match(first_line)
            if match is None:
                log.error("%s did not start: %r", BINARY_NAME, first_line)
                return process.returncode
            with self._condition:
                self._address = match.group(1)
                self._condition.notify_all()
            log.info("%s (pid %d) listening on %s", BINARY_NAME, process.pid, match.group(1))
            return process.wait()
        finally:
            _end(process)


def _end(process: subprocess.Popen[str]) -> None:
    """Stop the child if it runs, reap it, and close our ends of its pipes."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
