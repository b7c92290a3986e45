"""``GET /api/tracks/{id}/loudness``: the input series against independent BS.1770 meters, the
output series against the render the stream endpoint sends, errors, caching, and a free loop."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile
from starlette.testclient import TestClient

from auralis_server.audio.track import TrackAudio
from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from auralis_server.mastering.plan import PLAN_VERSION
from auralis_server.streaming.renderer import IdentityRenderer, RenderSettings
from shared.loudness import LoudnessSeries
from shared.wire import FrameReader, Samples
from tests.conftest import LiveServer, require_audio_fixture
from tests.server.conftest import Library
from tests.server.loudness_reference import short_term_48k_published, short_term_pyloudnorm
from tests.server.test_loudness_meter import DRASCULA, tone_bursts

REAL_TRACK = "track25.ogg"  # 49 s: five chunks of drascula's soundtrack


def series_of(client: TestClient, track_id: int, **params: object) -> LoudnessSeries:
    response = client.get(f"/api/tracks/{track_id}/loudness", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return LoudnessSeries.from_dict(response.json())


def streamed(client: TestClient, track_id: int, **params: object) -> Samples:
    """The whole mastered track as the stream endpoint sends it: every frame's core."""
    response = client.get(f"/api/tracks/{track_id}/stream", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200
    return np.concatenate([frame.core for frame in FrameReader().feed(response.content)])


def readings(series: tuple[float | None, ...]) -> np.ndarray:
    return np.array([-np.inf if value is None else value for value in series])


def assert_series_close(actual: tuple[float | None, ...], reference: list[float]) -> None:
    """Within 0.1 LU window by window; a window the reference puts under the gate is None."""
    assert len(actual) == len(reference)
    expected = np.array(reference)
    audible = expected > -70
    assert [value is not None for value in actual] == audible.tolist()
    np.testing.assert_allclose(readings(actual)[audible], expected[audible], atol=0.1)


@pytest.fixture
def music_library(tmp_path: Path, settings_for: Callable[..., Settings]) -> Iterator[Settings]:
    """Tone bursts at 48 kHz (float WAV, decoded exactly) and, when installed, a real track."""
    music = tmp_path / "music"
    music.mkdir()
    soundfile.write(music / "bursts.wav", tone_bursts(), 48000, subtype="FLOAT")
    if DRASCULA.is_dir():
        shutil.copy(DRASCULA / REAL_TRACK, music / REAL_TRACK)
    settings = settings_for(music)
    open_database(None, settings.sqlite_path)
    assert Scanner([music], workers=1).run().state == "finished"
    yield settings
    close_database()


def track_id_of(settings: Settings, name: str) -> int:
    return int(Track.get(Track.path == str(settings.music_dirs[0] / name)).id)


def test_input_series_of_tone_bursts_matches_the_published_48k_filter(
    music_library: Settings,
) -> None:
    track_id = track_id_of(music_library, "bursts.wav")
    source, _ = soundfile.read(music_library.music_dirs[0] / "bursts.wav", always_2d=True)
    with TestClient(create_app(music_library)) as client:
        series = series_of(client, track_id, preset="punchy", intensity=1)
    assert (series.window_s, series.hop_s) == (3.0, 1.0)
    assert series.times_s()[:2] == [3.0, 4.0]
    assert_series_close(series.input_lufs, short_term_48k_published(source))
    assert series.output_lufs.count(None) == series.input_lufs.count(None)


def test_real_music_input_and_output_match_independent_meters(music_library: Settings) -> None:
    require_audio_fixture(DRASCULA.is_dir(), f"{DRASCULA} missing (apt-get install drascula-music)")
    track_id = track_id_of(music_library, REAL_TRACK)
    source, rate_hz = soundfile.read(music_library.music_dirs[0] / REAL_TRACK, always_2d=True)
    with TestClient(create_app(music_library)) as client:
        series = series_of(client, track_id, preset="warm", intensity=0.8)
        mastered = streamed(client, track_id, preset="warm", intensity=0.8)
    assert len(series.input_lufs) == len(source) // rate_hz - 2
    assert_series_close(series.input_lufs, short_term_pyloudnorm(source, rate_hz))
    assert_series_close(series.output_lufs, short_term_pyloudnorm(mastered, rate_hz))
    # The mastering did something this test can see: the output is not the input again.
    assert np.abs(readings(series.output_lufs) - readings(series.input_lufs)).max() > 0.5


def test_output_series_is_the_streamed_render_for_those_settings(
    client: TestClient, library: Library
) -> None:
    track_id = library.track_id("song.wav")  # 25 s at 44.1 kHz: three chunks
    plan = client.get(f"/api/tracks/{track_id}/plan", params={"preset": "bright"}).json()["plan"]
    series = series_of(client, track_id, preset="bright", intensity=1.0)
    assert series.render == f"plan-v{PLAN_VERSION}-{plan['hash']}"
    assert (series.preset, series.intensity) == ("bright", 1.0)
    mastered = streamed(client, track_id, preset="bright", intensity=1.0)
    assert_series_close(series.output_lufs, short_term_pyloudnorm(mastered, 44100))
    assert_series_close(
        series.input_lufs, short_term_pyloudnorm(library.samples["song.wav"], 44100)
    )
    assert np.abs(readings(series.output_lufs) - readings(series.input_lufs)).min() > 1.0
    gentle = series_of(client, track_id, preset="gentle", intensity=1.0)
    assert gentle.input_lufs == series.input_lufs
    assert np.abs(readings(gentle.output_lufs) - readings(series.output_lufs)).min() > 0.2
    # intensity 0 renders the original samples, so the two series agree exactly
    bypass = series_of(client, track_id, intensity=0)
    assert bypass.output_lufs == bypass.input_lufs
    assert bypass.output_integrated_lufs == bypass.input_integrated_lufs


def test_integrated_loudness_is_the_fingerprints_measure(
    client: TestClient, library: Library
) -> None:
    track_id = library.track_id("hi.flac")
    series = series_of(client, track_id)
    plan = client.get(f"/api/tracks/{track_id}/plan").json()["plan"]
    assert series.input_integrated_lufs == pytest.approx(plan["input_lufs"], abs=0.01)
    assert series.output_integrated_lufs == pytest.approx(plan["output_lufs_estimate"], abs=1.5)


def test_a_track_shorter_than_one_window_has_an_empty_series(
    client: TestClient, library: Library
) -> None:
    series = series_of(client, library.track_id("mono.wav"))  # 1.5 s
    assert series.input_lufs == series.output_lufs == ()
    assert series.input_integrated_lufs > -70


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("preset=loud", "unknown preset 'loud'"),
        ("intensity=2", "intensity must be a number in [0, 1]"),
        ("intensity=nan", "intensity must be a number in [0, 1]"),
    ],
)
def test_bad_settings_are_400(
    client: TestClient, library: Library, query: str, detail: str
) -> None:
    response = client.get(f"/api/tracks/{library.track_id('song.wav')}/loudness?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert detail in response.json()["detail"] and "\n" not in response.json()["detail"]


@pytest.mark.parametrize("track_id", ["999999", "x", "1" * 5000])
def test_unknown_tracks_are_404(client: TestClient, track_id: str) -> None:
    response = client.get(f"/api/tracks/{track_id}/loudness")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_unreadable_files_are_422(client: TestClient, library: Library) -> None:
    response = client.get(f"/api/tracks/{library.track_id('bad/truncated.wav')}/loudness")
    assert response.status_code == 422 and response.json()["error"] == "unreadable_audio"


def test_a_series_is_measured_once_per_track_and_settings(library: Library) -> None:
    track_id = library.track_id("song.wav")
    with TestClient(library.app()) as client:
        cache = client.app.state.auralis.cache  # type: ignore[attr-defined]
        first = client.get(f"/api/tracks/{track_id}/loudness?preset=warm").content
        assert cache.renders == 1
        assert client.get(f"/api/tracks/{track_id}/loudness?preset=warm").content == first
        assert cache.renders == 1
        client.get(f"/api/tracks/{track_id}/loudness?preset=warm&intensity=0.5")
        assert cache.renders == 2
    with TestClient(library.app()) as client:  # a restart: from the disk cache
        assert client.get(f"/api/tracks/{track_id}/loudness?preset=warm").content == first
        assert client.app.state.auralis.cache.renders == 0  # type: ignore[attr-defined]
    (library.music / "song.wav").write_bytes((library.music / "song.wav").read_bytes())
    with TestClient(library.app()) as client:  # the file changed: measured again
        client.get(f"/api/tracks/{track_id}/loudness?preset=warm")
        assert client.app.state.auralis.cache.renders == 1  # type: ignore[attr-defined]


class SlowRenderer(IdentityRenderer):
    """Each chunk takes 0.4 s, as a big render on a busy NAS might."""

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        time.sleep(0.4)
        return super().render(audio, chunk_index, plan)


def test_measuring_does_not_block_the_event_loop(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app(renderer=SlowRenderer()))
    track_id = library.track_id("song.wav")  # three chunks: 1.2 s of rendering
    result: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: result.append(
            httpx.get(f"{server.url}/api/tracks/{track_id}/loudness", timeout=30)
        )
    )
    request.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert httpx.get(f"{server.url}/api/health", timeout=5).status_code == 200
    answered_s = time.monotonic() - started
    assert request.is_alive()  # still measuring when the health check came back
    request.join(30)
    assert answered_s < 0.3
    assert result[0].status_code == 200 and len(result[0].json()["input_lufs"]) == 23
