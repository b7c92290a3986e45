"""Fixtures shared by every suite: an isolated environment, test audio, servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile
import uvicorn
from starlette.applications import Starlette

from auralis_server.config import Settings


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config, music or database."""
    home = tmp_path_factory.mktemp("home")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    for name in list(__import__("os").environ):
        if name.startswith("AURALIS_") and name not in (
            "AURALIS_REQUIRE_AUDIO",
            "AURALIS_REQUIRE_RUST",
            "AURALIS_REQUIRE_POSTGRES",
        ):
            monkeypatch.delenv(name)


def music_signal(
    seconds: float, rate_hz: int, channels: int = 2, seed: int = 0
) -> npt.NDArray[np.float64]:
    """Chords plus noise bursts: non-repeating, so a misplaced sample cannot go unnoticed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    columns = []
    for channel in range(channels):
        tone = sum(np.sin(2 * np.pi * f * (1 + 0.01 * channel) * t) for f in (220.0, 277.2, 329.6))
        bursts = rng.standard_normal(len(t)) * (np.sin(2 * np.pi * 2.0 * t) > 0.9)
        columns.append(0.2 * tone + 0.1 * bursts)
    return np.stack(columns, axis=1)


def write_audio(
    path: Path,
    seconds: float,
    rate_hz: int = 44100,
    *,
    channels: int = 2,
    subtype: str = "PCM_16",
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """Write a test file; returns its samples as decoded float32 (what the server must send)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, music_signal(seconds, rate_hz, channels, seed), rate_hz, subtype=subtype)
    decoded, _ = soundfile.read(path, dtype="float32", always_2d=True)
    return decoded


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    """Settings with the library in ``music`` dirs, database and caches under tmp_path.

    No start-up scan and no background fingerprinting unless a test asks for them.
    """

    def make(*music: Path, **changes: object) -> Settings:
        base = Settings(
            music_dirs=tuple(music),
            data_dir=tmp_path / "data",
            cache_dir=tmp_path / "cache",
            scan_on_start=False,
            fingerprint_workers=0,  # tests that want background extraction turn it on
            fingerprint_servers="none",  # the Rust server only where a test asks for it
            render_processes=0,  # renders on threads; `serve` processes use worker processes
        )
        return replace(base, **changes)  # type: ignore[arg-type]

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A real uvicorn serving ``app`` on a loopback port, in a thread of this process."""

    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


@pytest.fixture
def live_server() -> Iterator[Callable[[Starlette], LiveServer]]:
    servers: list[LiveServer] = []

    def start(app: Starlette) -> LiveServer:
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def require_audio_fixture(available: bool, reason: str) -> None:
    """Skip when an audio dependency (sound stack, test music) is missing; fail under CI.

    ``AURALIS_REQUIRE_AUDIO=1`` (set by .ci/run) turns the skip into a failure, so CI can
    never pass by silently not running the audio tests.
    """
    if available:
        return
    if __import__("os").environ.get("AURALIS_REQUIRE_AUDIO") == "1":
        pytest.fail(f"AURALIS_REQUIRE_AUDIO=1 but {reason}")
    pytest.skip(reason)


def require_postgres_fixture(available: bool, reason: str) -> None:
    """Skip the PostgreSQL variants when its server binaries are missing; fail under CI.

    ``AURALIS_REQUIRE_POSTGRES=1`` (set by .ci/run) or ``CI=true`` turns the skip into a
    failure, so CI can never pass by silently testing SQLite alone.
    """
    if available:
        return
    environ = __import__("os").environ
    if environ.get("AURALIS_REQUIRE_POSTGRES") == "1" or environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required here but {reason}")
    pytest.skip(reason)
