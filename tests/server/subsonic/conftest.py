"""A small tagged library behind a real server with a Subsonic account, and a py-sonic
client for it. Fingerprints are written directly, on a line, so the nearest tracks of any
track are known without trusting the similarity code (see `POSITIONS`)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import libsonic
import mutagen.flac
import pytest
from PIL import Image

from auralis_server.config import Settings
from auralis_server.fingerprint import store
from auralis_server.http.app import create_app
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from shared.dimensions import DIMENSION_NAMES
from tests.conftest import LiveServer, write_audio

USER, PASSWORD, API_KEY = "auralis", "open sesame", "key-Ω-1"

# file -> tags; the first carries an embedded cover
FILES: dict[str, dict[str, str]] = {
    "A/X/1.flac": {"title": "Alpha", "artist": "Ärtist A", "album": "Xylo", "tracknumber": "1",
                   "genre": "Rock", "date": "2001"},
    "A/X/2.flac": {"title": "Beta", "artist": "Ärtist A", "album": "Xylo", "tracknumber": "2",
                   "genre": "Rock", "date": "2001"},
    "A/X/3.flac": {"title": "Gamma", "artist": "Ärtist A", "album": "Xylo", "tracknumber": "3",
                   "genre": "Rock", "date": "2001"},
    "B/Y/1.flac": {"title": "Delta", "artist": "Bee", "album": "Yodel", "tracknumber": "1",
                   "genre": "Jazz", "date": "1999"},
    "B/Y/2.flac": {"title": "Epsilon", "artist": "Bee", "album": "Yodel", "tracknumber": "2",
                   "genre": "Jazz", "date": "1999"},
}  # fmt: skip
POSITIONS = {"A/X/1.flac": 0.0, "A/X/2.flac": 1.0, "A/X/3.flac": 4.0, "B/Y/1.flac": 9.0,
             "B/Y/2.flac": 16.0}  # fmt: skip
"""Where each track's fingerprint lies on one line through the 25-dimensional space: every
dimension moves with it, so any standardised, weighted distance orders tracks by |Δ|."""
LUFS = {name: -30.0 + position for name, position in POSITIONS.items()}


def cover_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(out, "PNG")
    return out.getvalue()


def _write_library(music: Path) -> None:
    for seed, (name, tags) in enumerate(FILES.items()):
        write_audio(music / name, 1.0, 8000, channels=1, seed=seed)
        tagged = mutagen.flac.FLAC(music / name)
        for key, value in tags.items():
            tagged[key] = value
        if seed == 0:
            picture = mutagen.flac.Picture()
            picture.type, picture.mime, picture.data = 3, "image/png", cover_png()
            tagged.add_picture(picture)
        tagged.save()


def _fingerprint(position: float) -> dict[str, float]:
    values = {name: 0.1 + 0.01 * position * (1 + index % 3) for index, name in
              enumerate(DIMENSION_NAMES)}  # fmt: skip
    values["lufs"] = -30.0 + position
    return values


@dataclass
class Served:
    url: str
    port: int
    music: Path
    settings: Settings
    ids: dict[str, int]  # file name -> track id

    def client(self, **changes: object) -> libsonic.Connection:
        options: dict[str, object] = {"username": USER, "password": PASSWORD, "appName": "tests"}
        options.update(changes)
        return libsonic.Connection("http://127.0.0.1", port=self.port, **options)

    def song_id(self, name: str) -> str:
        return f"tr-{self.ids[name]}"


@pytest.fixture
def served(
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
    database_url: str | None,
) -> Iterator[Served]:
    music = tmp_path / "music"
    _write_library(music)
    settings = replace(
        settings_for(music, database_url=database_url),
        subsonic_password=PASSWORD,
        subsonic_api_keys=(API_KEY,),
    )
    open_database(settings.database_url, settings.sqlite_path)
    assert Scanner([music], workers=1).run().state == "finished"
    ids = {name: int(Track.get(Track.path == str(music / name)).id) for name in FILES}
    for name, position in POSITIONS.items():
        store.save(ids[name], _fingerprint(position), "python")
    server = live_server(create_app(settings))
    try:
        yield Served(server.url, server.port, music, settings, ids)
    finally:
        close_database()
