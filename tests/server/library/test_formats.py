"""Every supported container, synthetic and (when installed) real music from Debian packages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mutagen
import numpy as np
import pytest
import soundfile
from mutagen.id3 import ID3, TALB, TIT2, TPE1, TRCK
from starlette.testclient import TestClient

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from shared.wire import iter_frames
from tests.conftest import music_signal, require_audio_fixture

FORMATS = [  # name, soundfile format, subtype, rate, lossless
    ("flac", "FLAC", "PCM_24", 96000, True),
    ("wav", "WAV", "PCM_16", 44100, True),
    ("aiff", "AIFF", "PCM_16", 44100, True),
    ("ogg", "OGG", "VORBIS", 44100, False),
    ("opus", "OGG", "OPUS", 48000, False),
    ("mp3", "MP3", "MPEG_LAYER_III", 44100, False),
]
ASC_MUSIC = Path("/usr/share/games/asc/music")
DRASCULA_MUSIC = Path("/usr/share/scummvm/drascula/audio")


def tag(path: Path, title: str, artist: str, album: str, track_no: int) -> None:
    audio = mutagen.File(str(path), easy=True)
    if audio.tags is None:
        audio.add_tags()
    if isinstance(audio.tags, ID3):  # WAV and AIFF carry plain ID3 frames
        for frame, text in ((TIT2, title), (TPE1, artist), (TALB, album), (TRCK, str(track_no))):
            audio.tags.add(frame(encoding=3, text=text))
    else:
        audio.tags.update(
            {"title": title, "artist": artist, "album": album, "tracknumber": str(track_no)}
        )
    audio.save()


@pytest.fixture
def scanned(tmp_path: Path) -> Iterator[tuple[Path, Settings]]:
    music = tmp_path / "music"
    music.mkdir()
    for index, (ext, fmt, subtype, rate, _) in enumerate(FORMATS, start=1):
        path = music / f"{index}.{ext}"
        soundfile.write(
            path, music_signal(12.5, rate, seed=index), rate, format=fmt, subtype=subtype
        )
        tag(path, f"Title {ext}", "Format Band", "Containers", index)
    settings = Settings(music_dirs=(music,), data_dir=tmp_path / "data", scan_on_start=False)
    open_database(None, settings.sqlite_path)
    assert Scanner([music], workers=1).run().errors == 0
    yield music, settings
    close_database()


@pytest.mark.parametrize(("ext", "fmt", "subtype", "rate", "lossless"), FORMATS)
def test_each_format_is_scanned_and_streamed_like_a_full_decode(
    scanned: tuple[Path, Settings], ext: str, fmt: str, subtype: str, rate: int, lossless: bool
) -> None:
    music, settings = scanned
    index = [f[0] for f in FORMATS].index(ext) + 1
    path = music / f"{index}.{ext}"
    track = Track.get(Track.path == str(path))
    decoded, _ = soundfile.read(path, dtype="float32", always_2d=True)
    assert (track.title, track.artist, track.album, track.track_no) == (
        f"Title {ext}",
        "Format Band",
        "Containers",
        index,
    )
    assert (track.sample_rate, track.channels, track.total_frames) == (rate, 2, len(decoded))
    with TestClient(create_app(settings)) as client:
        frames = list(
            iter_frames([client.get(f"/api/tracks/{track.id}/stream?intensity=0").content])
        )
    assert len(frames) == 2
    streamed = np.concatenate([frame.core for frame in frames])
    if lossless:
        np.testing.assert_array_equal(streamed, decoded)
    else:  # decoders seeking into a lossy stream agree with a linear decode to float rounding
        np.testing.assert_allclose(streamed, decoded, atol=1e-6)


def _real_music(tmp_path: Path, folder: Path) -> tuple[Settings, list[Track]]:
    settings = Settings(music_dirs=(folder,), data_dir=tmp_path / "data", scan_on_start=False)
    open_database(None, settings.sqlite_path)
    progress = Scanner([folder], workers=1).run()
    assert progress.state == "finished" and progress.errors == 0 and progress.discovered > 0
    return settings, list(Track.select().order_by(Track.path))


@pytest.mark.parametrize("folder", [ASC_MUSIC, DRASCULA_MUSIC], ids=["asc-music", "drascula-music"])
def test_real_music_scans_and_its_last_chunk_ends_where_the_decode_ends(
    tmp_path: Path, folder: Path, request: pytest.FixtureRequest
) -> None:
    require_audio_fixture(
        folder.is_dir(), f"{folder} is missing (apt-get install asc-music drascula-music)"
    )
    settings, tracks = _real_music(tmp_path, folder)
    try:
        with TestClient(create_app(settings)) as client:
            for track in tracks[:3]:
                decoded, _ = soundfile.read(track.path, dtype="float32", always_2d=True)
                assert track.total_frames == len(decoded), track.path
                response = client.get(
                    f"/api/tracks/{track.id}/stream", params={"chunks": "-1", "intensity": "0"}
                )
                (last,) = list(iter_frames([response.content]))
                assert last.header.overlap_frames == 0
                np.testing.assert_allclose(
                    last.core, decoded[-last.header.core_frames :], atol=1e-6
                )
    finally:
        close_database()
