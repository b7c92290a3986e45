"""Mastered tracks as plain files (``/api/tracks/{id}/audio.wav|flac``) with byte ranges, and
M3U8 lists of them that mpv plays and seeks in."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import mutagen.flac
import numpy as np
import numpy.typing as npt
import pytest
import scipy.signal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from tests.conftest import LiveServer, require_audio_fixture, write_audio
from tests.server.conftest import ServerProcess
from tests.server.streaming.mastered_reference import QUIET, chunk_render, decoded

TOKEN = "s3cret+/&=x"  # needs escaping in a URL
RATE_HZ = 22050
# file -> (album, track number, seconds); chunk_seconds=1 gives every track several chunks
FILES = {
    "Tide/1.flac": ("Tide", 1, 3.2),
    "Tide/2.flac": ("Tide", 2, 2.6),
    "Other/1.flac": ("Other Album", 1, 2.0),
}


@dataclass
class Served:
    url: str
    ids: dict[str, int]

    def get(self, path: str, **options: object) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=60, **options)  # type: ignore[arg-type]


def _write_library(music: Path) -> None:
    for seed, (name, (album, number, seconds)) in enumerate(FILES.items()):
        write_audio(music / name, seconds, RATE_HZ, seed=seed + 20)
        tagged = mutagen.flac.FLAC(music / name)
        tagged["album"], tagged["tracknumber"] = album, str(number)
        tagged["title"], tagged["artist"] = f"Song {seed}", "Ärtist"
        tagged.save()


def _serve(
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
    **changes: object,
) -> Iterator[Served]:
    music = tmp_path / "music"
    _write_library(music)
    settings = replace(settings_for(music), chunk_seconds=1.0, **changes)
    open_database(None, settings.sqlite_path)
    assert Scanner([music], workers=1).run().state == "finished"
    ids = {name: int(Track.get(Track.path == str(music / name)).id) for name in FILES}
    server = live_server(create_app(settings))
    try:
        yield Served(server.url, ids)
    finally:
        close_database()


@pytest.fixture
def served(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> Iterator[Served]:
    yield from _serve(tmp_path, settings_for, live_server)


@pytest.fixture
def guarded(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> Iterator[Served]:
    """The same library behind a token."""
    yield from _serve(tmp_path, settings_for, live_server, token=TOKEN)


def test_wav_and_flac_are_the_mastered_track(served: Served) -> None:
    track_id = served.ids["Tide/1.flac"]
    params = {"preset": "warm", "intensity": "0.7"}
    expected = chunk_render(served.url, track_id, params)
    for kind in ("wav", "flac"):
        response = served.get(f"/api/tracks/{track_id}/audio.{kind}", params=params)
        assert response.status_code == 200
        assert response.headers["content-type"] == f"audio/{kind}"
        samples, rate = decoded(response.content)
        assert rate == RATE_HZ and samples.shape == expected.shape
        assert np.abs(samples - expected).max() < QUIET
    wav = served.get(f"/api/tracks/{track_id}/audio.wav", params=params)
    assert wav.headers["accept-ranges"] == "bytes"
    assert int(wav.headers["content-length"]) == len(wav.content)
    assert int.from_bytes(wav.content[4:8], "little") == len(wav.content) - 8  # RIFF size
    assert int.from_bytes(wav.content[40:44], "little") == len(wav.content) - 44  # data size
    head = httpx.head(f"{served.url}/api/tracks/{track_id}/audio.wav", params=params)
    assert int(head.headers["content-length"]) == len(wav.content) and head.content == b""


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_byte_ranges_are_those_bytes_of_the_whole_file(served: Served, data: st.DataObject) -> None:
    url = f"/api/tracks/{served.ids['Tide/2.flac']}/audio.wav"
    whole = served.get(url).content
    size = len(whole)
    form = data.draw(st.sampled_from(["closed", "open", "suffix"]))
    first = data.draw(st.integers(0, size - 1))
    if form == "closed":
        last = data.draw(st.integers(first, size + 100))
        spec, expected = f"{first}-{last}", whole[first : last + 1]
    elif form == "open":
        spec, expected = f"{first}-", whole[first:]
    else:
        count = data.draw(st.integers(1, size + 100))
        spec, expected = f"-{count}", whole[-count:]
    response = served.get(url, headers={"Range": f"bytes={spec}"})
    assert response.status_code == 206
    assert response.content == expected
    assert int(response.headers["content-length"]) == len(expected)
    start = size - len(expected) if form == "suffix" else first
    assert response.headers["content-range"] == f"bytes {start}-{start + len(expected) - 1}/{size}"


def test_a_range_past_the_end_is_416_and_other_units_get_the_whole_file(served: Served) -> None:
    url = f"/api/tracks/{served.ids['Other/1.flac']}/audio.wav"
    size = len(served.get(url).content)
    past = served.get(url, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    for ignored in ("chunks=0-1", "bytes=0-1,5-9", "bytes=9-2"):
        response = served.get(url, headers={"Range": ignored})
        assert response.status_code == 200 and len(response.content) == size


def test_bad_requests_are_one_line_errors(served: Served) -> None:
    track_id = served.ids["Tide/1.flac"]
    assert served.get(f"/api/tracks/{track_id}/audio.aac").status_code == 404
    assert served.get(f"/api/tracks/{track_id}/audio.wav?preset=nope").status_code == 400
    assert served.get("/api/tracks/999999/audio.flac").status_code == 404
    assert served.get("/api/albums/No Such Album.m3u8").status_code == 404
    assert served.get("/api/playlists/77.m3u8").status_code == 404
    assert served.get("/api/tracks.m3u8?format=ogg").status_code == 400


def _entries(text: str) -> list[tuple[str, str]]:
    """(#EXTINF line, URL) pairs of an extended M3U."""
    lines = text.strip().split("\n")
    assert lines[0] == "#EXTM3U"
    return list(zip(lines[1::2], lines[2::2], strict=True))


def test_lists_name_the_mastered_files_by_absolute_url(served: Served) -> None:
    album = _entries(served.get("/api/albums/Tide.m3u8", params={"preset": "warm"}).text)
    assert [url for _, url in album] == [
        f"{served.url}/api/tracks/{served.ids[name]}/audio.wav?preset=warm"
        for name in ("Tide/1.flac", "Tide/2.flac")
    ]
    assert album[0][0] == "#EXTINF:3,Ärtist - Song 0"
    order = [served.ids["Other/1.flac"], served.ids["Tide/2.flac"]]
    created = httpx.post(f"{served.url}/api/playlists", json={"name": "p", "track_ids": order})
    playlist = served.get(f"/api/playlists/{created.json()['id']}.m3u8?format=flac").text
    assert [url for _, url in _entries(playlist)] == [
        f"{served.url}/api/tracks/{track_id}/audio.flac" for track_id in order
    ]
    found = _entries(served.get("/api/tracks.m3u8", params={"q": "other"}).text)
    assert [url.split("/")[-2] for _, url in found] == [str(served.ids["Other/1.flac"])]
    everything = _entries(served.get("/api/tracks.m3u8").text)
    assert len(everything) == len(FILES)


def test_a_token_in_the_query_opens_api_urls_and_lists_carry_it(guarded: Served) -> None:
    assert guarded.get("/api/albums/Tide.m3u8").status_code == 401
    assert guarded.get("/api/albums/Tide.m3u8", params={"token": "wrong"}).status_code == 401
    listed = guarded.get("/api/albums/Tide.m3u8", params={"token": TOKEN})
    assert listed.status_code == 200
    urls = [url for _, url in _entries(listed.text)]
    assert all(url.endswith("?token=s3cret%2B%2F%26%3Dx") for url in urls)
    assert httpx.get(urls[0], timeout=60).status_code == 200
    by_header = guarded.get("/api/albums/Tide.m3u8", headers={"Authorization": f"Bearer {TOKEN}"})
    assert "token=" not in by_header.text


def _correlation(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def test_mpv_plays_an_album_list_and_seeks_in_each_track(served: Served, tmp_path: Path) -> None:
    mpv = shutil.which("mpv")
    require_audio_fixture(mpv is not None, "mpv is not installed (apt-get install mpv)")
    assert mpv is not None
    start_s = 0.5
    out = tmp_path / "out.wav"
    subprocess.run(
        [
            mpv,
            "--no-config",
            "--no-video",
            "--really-quiet",
            "--ao=pcm",
            f"--ao-pcm-file={out}",
            "--audio-format=float",
            f"--start={start_s}",
            f"{served.url}/api/albums/Tide.m3u8",
        ],
        check=True,
        timeout=120,
    )
    heard, rate = decoded(out.read_bytes())
    assert rate == RATE_HZ
    skip = round(start_s * RATE_HZ)
    expected = [
        chunk_render(served.url, served.ids[name])[skip:] for name in ("Tide/1.flac", "Tide/2.flac")
    ]
    joined = np.concatenate(expected)
    # mpv may land its seek a few frames off: match each track where it lines up best
    position = 0
    for track in expected:
        window = heard[position : position + len(track) + 2048, 0]
        lined_up = scipy.signal.correlate(window, track[:, 0], mode="valid", method="fft")
        best = int(np.argmax(lined_up))
        assert _correlation(heard[position + best : position + best + len(track)], track) >= 0.99
        position += best + len(track)
    assert abs(len(heard) - len(joined)) < 0.05 * RATE_HZ


def test_players_hanging_up_mid_stream_leave_the_server_up(
    serve: type[ServerProcess], tmp_path: Path
) -> None:
    """A client that goes away while its encoder works (a player skipping a track) once
    closed the encoder under that work and took the server process down."""
    music = tmp_path / "music"
    write_audio(music / "long.wav", 30.0, 44100, seed=9)
    server = serve("--music", str(music), "--data-dir", str(tmp_path / "data"))
    server.wait_for_scan()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        track_id = client.get("/api/tracks").json()["tracks"][0]["id"]
        for kind in ("mp3", "opus", "flac", "mp3", "opus"):
            with client.stream("GET", f"/api/tracks/{track_id}/audio.{kind}") as response:
                next(response.iter_bytes())  # the first bytes, then hang up
            assert client.get("/api/health").status_code == 200
    assert server.process.poll() is None
