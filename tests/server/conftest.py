from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from auralis_server.app import create_app
from auralis_server.config import Settings
from auralis_server.db import Track, close_database, open_database
from auralis_server.render import ChunkRenderer
from auralis_server.scanner import Scanner
from tests.conftest import write_audio
from tests.server.bad_files import write_bad_files


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
def library(tmp_path: Path, settings_for: Callable[..., Settings]) -> Iterator[Library]:
    music = tmp_path / "music"
    samples = {
        "song.wav": write_audio(music / "song.wav", 25.0, 44100, subtype="PCM_16", seed=1),
        "hi.flac": write_audio(music / "hi.flac", 21.3, 48000, subtype="PCM_24", seed=2),
        "mono.wav": write_audio(music / "mono.wav", 1.5, 22050, channels=1, seed=3),
    }
    write_bad_files(music / "bad")
    settings = settings_for(music)
    open_database(None, settings.sqlite_path)
    assert Scanner([music], workers=1).run().state == "finished"
    yield Library(music, settings, samples)
    close_database()


@pytest.fixture
def client(library: Library) -> Iterator[TestClient]:
    with TestClient(library.app()) as test_client:
        yield test_client
