from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from auralis_server.streaming.renderer import ChunkRenderer
from tests.conftest import require_postgres_fixture, write_audio
from tests.rust.conftest import rust_binary, rust_server  # noqa: F401  (fixtures shared here)
from tests.server.library.bad_files import write_bad_files

if TYPE_CHECKING:
    from tests.server.postgres import PostgresCluster


DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL server for the session, started on first use."""
    from tests.server.postgres import PostgresCluster, postgres_bin_dir

    bin_dir = postgres_bin_dir()
    require_postgres_fixture(
        bin_dir is not None, "PostgreSQL's server is not installed (apt-get install postgresql)"
    )
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir).start()
    yield cluster
    cluster.stop()


DATABASE_SUITES = (
    "library/",
    "http/test_track_paging.py",
    "http/test_playlists_api.py",
    "http/test_playstate_api.py",
    "subsonic/test_client.py",
    "subsonic/test_envelope.py",
    "subsonic/test_replay_gain.py",
    "subsonic/test_xml_schema.py",
)
"""The suites (under tests/server/) whose subject is what the database stores and finds: they
run on both databases. Elsewhere the library is only the way to a file (streaming, mastering,
encoding), so those run on SQLite alone and the PostgreSQL run stays a couple of minutes."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" not in metafunc.fixturenames:
        return
    suite = Path(metafunc.definition.path).relative_to(Path(__file__).parent).as_posix()
    if suite.startswith(DATABASE_SUITES):
        metafunc.parametrize("database_url", DATABASES, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """SQLite (None: the data dir's file) or, in `DATABASE_SUITES`' second run, a fresh
    PostgreSQL database of the test's own, dropped afterwards."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    yield url
    close_database()
    cluster.drop_database(url)


@dataclass
class Library:
    """A scanned test library: the music folder and the exact samples of each good file."""

    music: Path
    settings: Settings
    samples: dict[str, npt.NDArray[np.float32]]

    def track_id(self, name: str) -> int:
        open_database(self.settings.database_url, self.settings.sqlite_path)
        return int(Track.get(Track.path == str(self.music / name)).id)

    def app(self, renderer: ChunkRenderer | None = None, **changes: object) -> Starlette:
        settings = self.settings
        if changes:
            settings = Settings(**{**settings.__dict__, **changes})
        return create_app(settings, renderer=renderer)


@pytest.fixture
def library(
    tmp_path: Path, settings_for: Callable[..., Settings], database_url: str | None
) -> Iterator[Library]:
    music = tmp_path / "music"
    samples = {
        "song.wav": write_audio(music / "song.wav", 25.0, 44100, subtype="PCM_16", seed=1),
        "hi.flac": write_audio(music / "hi.flac", 21.3, 48000, subtype="PCM_24", seed=2),
        "mono.wav": write_audio(music / "mono.wav", 1.5, 22050, channels=1, seed=3),
    }
    write_bad_files(music / "bad")
    settings = settings_for(music, database_url=database_url)
    open_database(settings.database_url, settings.sqlite_path)
    assert Scanner([music], workers=1).run().state == "finished"
    yield Library(music, settings, samples)
    close_database()


@pytest.fixture
def client(library: Library) -> Iterator[TestClient]:
    with TestClient(library.app()) as test_client:
        yield test_client


ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """`auralis-server serve` in a child process; the URL is read from what it prints."""

    def __init__(self, *args: str, prefix: tuple[str, ...] = ()) -> None:
        command = [*prefix, sys.executable, "-m", "auralis_server.cli", "serve", "--port", "0"]
        command += args
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self.url = self._wait_for(r"(http://127\.0\.0\.1:\d+)\s*$")

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def _wait_for(self, pattern: str, timeout_s: float = 60) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match.group(1)
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"server never printed {pattern!r}:\n" + "\n".join(self.lines))

    def wait_for_scan(self) -> None:
        self._wait_for(r"(scan finished)")

    def stop(self) -> None:
        """SIGTERM as a service manager would; then whatever is left of its process group goes."""
        self.process.terminate()
        try:
            self.process.wait(30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._reader.join(10)
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.fixture
def serve() -> Iterator[type[ServerProcess]]:
    started: list[ServerProcess] = []

    class Tracked(ServerProcess):
        def __init__(self, *args: str, **kwargs: tuple[str, ...]) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    yield Tracked
    for server in started:
        server.stop()


@dataclass(frozen=True)
class ServedLibrary:
    """One short track (3 chunks, 8 kHz mono) behind a real uvicorn, shared by a module."""

    url: str
    track_id: int
    chunk_count: int


@pytest.fixture(scope="module")
def served_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedLibrary]:
    """For tests that send hundreds of requests (robustness, fuzz): one server per module,
    mastering replaced by the identity so each request costs a read, not a render."""
    from auralis_server.streaming.renderer import IdentityRenderer
    from tests.conftest import LiveServer

    root = tmp_path_factory.mktemp("served")
    write_audio(root / "music" / "song.wav", 25.0, 8000, channels=1)
    settings = Settings(
        music_dirs=(root / "music",),
        data_dir=root / "data",
        cache_dir=root / "cache",
        scan_on_start=False,
        fingerprint_workers=0,
        fingerprint_servers="none",
    )
    open_database(None, settings.sqlite_path)
    assert Scanner([root / "music"], workers=1).run().state == "finished"
    track_id = int(Track.get().id)
    server = LiveServer(create_app(settings, renderer=IdentityRenderer())).start()
    try:
        yield ServedLibrary(server.url, track_id, chunk_count=3)
    finally:
        server.stop()
        close_database()
