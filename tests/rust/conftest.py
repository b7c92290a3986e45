"""The Rust fingerprint server for tests: skipped when it was not built, except under
AURALIS_REQUIRE_RUST=1 (CI), where a missing binary fails instead."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from auralis_server.fingerprint.rust.client import RustFingerprinter
from auralis_server.fingerprint.rust.supervisor import find_binary


@pytest.fixture(scope="session")
def rust_binary() -> Path:
    binary = find_binary()
    if binary is None:
        message = "auralis-dsp-server is not built (make setup builds it when cargo exists)"
        if os.environ.get("AURALIS_REQUIRE_RUST") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class RustServer:
    """One `auralis-dsp-server` on a free loopback port."""

    def __init__(self, binary: Path) -> None:
        self.process = subprocess.Popen(
            [str(binary), "--listen", "127.0.0.1:0", "--exit-with-stdin"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line.startswith("listening on "), line
        self.address = line.removeprefix("listening on ")
        self.client = RustFingerprinter(lambda: [self.address])

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            assert stream is not None
            stream.close()


@pytest.fixture(scope="module")
def rust_server(rust_binary: Path) -> Iterator[RustServer]:
    server = RustServer(rust_binary)
    yield server
    server.stop()
