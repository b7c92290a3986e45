"""Subsonic ``stream``: the mastered track in flac, wav, mp3 or opus, from any offset, through
a real client library (py-sonic) against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pyloudnorm
import pytest

from auralis_server.library.models import Track
from auralis_server.library.scanner import Scanner
from tests.conftest import write_audio
from tests.server.streaming.mastered_reference import QUIET, chunk_render, decoded
from tests.server.subsonic.conftest import Served

LONG_S, LONG_RATE_HZ = 40.0, 16000
DURATION_TOLERANCE_S = 0.05
OFFSET_S = 30


@pytest.fixture
def long_track(served: Served) -> Iterator[int]:
    """A 40 s stereo track beside the fixture's 1 s ones: four chunks, and room for a 30 s
    offset."""
    path = served.music / "C" / "long.flac"
    write_audio(path, LONG_S, LONG_RATE_HZ, seed=40)
    Scanner([served.music], workers=1).run()
    yield int(Track.get(Track.path == str(path)).id)


def _stream(served: Served, track_id: int, **options: object) -> bytes:
    return bytes(served.client().stream(f"tr-{track_id}", **options).read())


def _get(served: Served, **params: object) -> httpx.Response:
    """``stream`` by a plain GET (py-sonic posts a form), for the headers."""
    query = {"u": "auralis", "p": served.client()._rawPass, "f": "json", **params}
    return httpx.get(f"{served.url}/rest/stream", params=query, timeout=60)  # type: ignore[arg-type]


def _loudness_lufs(samples: np.ndarray, rate_hz: int) -> float:
    return float(pyloudnorm.Meter(rate_hz).integrated_loudness(samples.astype(np.float64)))


def test_flac_is_the_mastered_render_and_the_default(served: Served, long_track: int) -> None:
    expected = chunk_render(served.url, long_track)
    flac = _stream(served, long_track, tformat="flac")
    samples, rate = decoded(flac)
    assert rate == LONG_RATE_HZ and samples.shape == expected.shape
    assert np.abs(samples - expected).max() < QUIET
    assert _stream(served, long_track) == flac  # no format: flac


def test_wav_is_the_same_samples_with_an_exact_length(served: Served, long_track: int) -> None:
    expected = chunk_render(served.url, long_track)
    response = _get(served, id=f"tr-{long_track}", format="wav")
    assert int(response.headers["content-length"]) == len(response.content)
    samples, _ = decoded(response.content)
    assert np.abs(samples - expected).max() < QUIET


def test_raw_is_the_file(served: Served, long_track: int) -> None:
    path = served.music / "C" / "long.flac"
    assert _stream(served, long_track, tformat="raw") == path.read_bytes()


@pytest.mark.parametrize("kind", ["mp3", "opus"])
def test_lossy_decodes_to_the_length_and_loudness_of_the_flac(
    served: Served, long_track: int, kind: str
) -> None:
    reference, reference_rate = decoded(_stream(served, long_track, tformat="flac"))
    samples, rate = decoded(_stream(served, long_track, tformat=kind, maxBitRate=128))
    assert rate == 48000
    assert abs(len(samples) / rate - LONG_S) <= DURATION_TOLERANCE_S
    loudness = _loudness_lufs(samples, rate)
    assert abs(loudness - _loudness_lufs(reference, reference_rate)) <= 1.0


def test_max_bit_rate_sets_the_mp3_rate_and_the_length_estimate_holds(
    served: Served, long_track: int
) -> None:
    sizes = {}
    for kbps in (64, 192):
        response = _get(
            served, id=f"tr-{long_track}", maxBitRate=kbps, estimateContentLength="true"
        )
        assert response.headers["content-type"] == "audio/mpeg"  # maxBitRate, no format: mp3
        assert int(response.headers["content-length"]) == len(response.content)
        samples, rate = decoded(response.content)
        assert abs(len(samples) / rate - LONG_S) <= DURATION_TOLERANCE_S
        # constant bit rate: the stream's bytes are the rate times the duration (± a frame)
        audio_bytes = len(response.content.rstrip(b"\0"))
        assert abs(audio_bytes * 8 / LONG_S / 1000 - kbps) < kbps * 0.02
        sizes[kbps] = audio_bytes
    assert sizes[64] < sizes[192]


@pytest.mark.parametrize("kind", ["flac", "opus"])
def test_time_offset_starts_that_far_in(served: Served, long_track: int, kind: str) -> None:
    samples, rate = decoded(_stream(served, long_track, tformat=kind, timeOffset=OFFSET_S))
    remaining_s = LONG_S - OFFSET_S
    if kind == "flac":  # exact: the very samples from 30 s on
        expected = chunk_render(served.url, long_track)[OFFSET_S * LONG_RATE_HZ :]
        assert samples.shape == expected.shape
        assert np.abs(samples - expected).max() < QUIET
    else:
        assert abs(len(samples) / rate - remaining_s) <= DURATION_TOLERANCE_S


def test_the_play_state_preset_is_what_streams(served: Served, long_track: int) -> None:
    state = {
        "queue": [],
        "index": None,
        "position_s": 0.0,
        "shuffle": "off",
        "repeat": "off",
        "preset": "warm",
        "intensity": 0.6,
        "volume": None,
    }
    assert httpx.put(f"{served.url}/api/playstate", json=state).status_code == 200
    expected = chunk_render(served.url, long_track, {"preset": "warm", "intensity": "0.6"})
    default = chunk_render(served.url, long_track)
    samples, _ = decoded(_stream(served, long_track, tformat="flac"))
    assert np.abs(samples - expected).max() < QUIET
    assert np.abs(samples - default).max() > 100 * QUIET  # the preset made a difference


def test_errors_and_the_advertised_extension(served: Served) -> None:
    client = served.client()
    response = client._doInfoReq(client._getRequest("getOpenSubsonicExtensions.view"))
    assert "transcodeOffset" in {ext["name"] for ext in response["openSubsonicExtensions"]}
    song = served.song_id("A/X/1.flac")
    for params, code in (
        ({"id": "tr-999999"}, 70),
        ({"id": song, "timeOffset": "-3"}, 0),
        ({"id": song, "timeOffset": "soon"}, 0),
    ):
        assert _get(served, **params).json()["subsonic-response"]["error"]["code"] == code
    (served.music / "A" / "X" / "1.flac").unlink()
    assert _get(served, id=song).json()["subsonic-response"]["error"]["code"] == 70
