"""Album mode through the HTTP API: plans, chunk transparency, bypass, the cache key, and
the block-loudness histograms measured on demand for tracks stored without one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from starlette.testclient import TestClient

from auralis_server.audio.loudness import histogram_loudness, loudness_histogram, unpack_histogram
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.dsp.analysis import compute_fingerprint, plan_inputs
from auralis_server.library.models import Fingerprint, Track
from auralis_server.library.scanner import Scanner
from auralis_server.mastering import chain
from auralis_server.mastering.album import AlbumMember, album_loudness, album_plan
from auralis_server.mastering.profile import measure_profile
from auralis_server.streaming.plan_source import inputs_from_samples
from shared.wire import Frame, FrameReader
from tests.server.conftest import Library
from tests.server.mastering.mastering_signals import RATE_HZ, at_lufs, mix

ALBUM = {"1 intro.wav": -24.0, "2 middle.wav": -18.0, "3 single.wav": -11.0}
SEAM_LIMIT = 10 ** (-90 / 20)


@pytest.fixture
def album(library: Library) -> dict[str, np.ndarray]:
    """Three float WAVs (peaks may pass full scale) tagged as one album; decoded samples."""
    decoded = {}
    for number, (name, lufs) in enumerate(ALBUM.items()):
        path = library.music / "album" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        audio = at_lufs(mix(14.0, song=number), lufs)
        soundfile.write(path, audio, RATE_HZ, subtype="FLOAT")
        decoded[name] = soundfile.read(path, always_2d=True)[0]
    Scanner([library.music], workers=1).run()
    for number, name in enumerate(ALBUM):
        Track.update(album="The Album", track_no=number + 1).where(
            Track.path == str(library.music / "album" / name)
        ).execute()
    return decoded


@pytest.fixture
def api(library: Library) -> Iterator[TestClient]:
    with TestClient(library.app()) as test_client:
        yield test_client


def _id(library: Library, name: str) -> int:
    return library.track_id(f"album/{name}")


def _frames(api: TestClient, track_id: int, **params: str) -> list[Frame]:
    response = api.get(f"/api/tracks/{track_id}/stream", params=params)
    assert response.status_code in (200, 206), response.text
    return list(FrameReader().feed(response.content))


def _expected_album_plans(decoded: dict[str, np.ndarray], preset: str, intensity: float) -> dict:
    members = {
        name: AlbumMember(
            plan_inputs(audio, RATE_HZ),
            loudness_histogram(audio, RATE_HZ),
            measure_profile(audio, RATE_HZ),
        )
        for name, audio in decoded.items()
    }
    combined = album_loudness(list(members.values()))
    return {
        name: album_plan(member.values, combined, preset, intensity, track_profile=member.profile)
        for name, member in members.items()
    }


def test_album_chunks_join_into_the_whole_render_of_the_albums_plan(
    library: Library, album: dict[str, np.ndarray], api: TestClient
) -> None:
    plans = _expected_album_plans(album, "punchy", 0.8)
    for name in ("1 intro.wav", "3 single.wav"):
        track_id = _id(library, name)
        shown = api.get(
            f"/api/tracks/{track_id}/plan",
            params={"preset": "punchy", "intensity": "0.8", "loudness": "album"},
        ).json()
        assert (shown["loudness"], shown["album"]["tracks"]) == ("album", 3)
        assert shown["plan"]["hash"] == plans[name].hash
        frames = _frames(api, track_id, preset="punchy", intensity="0.8", loudness="album")
        expected = chain.render(album[name], plans[name], RATE_HZ)
        joined = np.concatenate([frame.core for frame in frames])
        assert np.abs(joined - expected).max() < SEAM_LIMIT
        for frame, following in zip(frames, frames[1:], strict=False):
            assert np.abs(frame.tail - following.core[: len(frame.tail)]).max() < SEAM_LIMIT


@pytest.mark.parametrize("loudness", ["track", "album"])
def test_intensity_zero_is_the_original_bit_for_bit_in_both_modes(
    loudness: str, library: Library, album: dict[str, np.ndarray], api: TestClient
) -> None:
    frames = _frames(api, _id(library, "3 single.wav"), intensity="0", loudness=loudness)
    expected = album["3 single.wav"].astype(np.float32)
    assert np.array_equal(np.concatenate([frame.core for frame in frames]), expected)


def test_a_chunk_cached_in_album_mode_is_not_served_for_track_mode(
    library: Library, album: dict[str, np.ndarray], api: TestClient
) -> None:
    track_id = _id(library, "2 middle.wav")
    decoded = album["2 middle.wav"]
    album_frame = _frames(api, track_id, chunks="0-0", loudness="album")[0]
    cache = api.app.state.auralis.cache
    renders = cache.renders
    for mode in ("track", "auto"):  # auto is track unless the client says album
        frame = _frames(api, track_id, chunks="0-0", loudness=mode)[0]
        track_plan = inputs_from_samples(decoded, RATE_HZ).plan("adaptive", 1.0)
        expected = chain.render(decoded, track_plan, RATE_HZ)[: len(frame.core)]
        assert np.abs(frame.core - expected).max() < SEAM_LIMIT
        assert np.abs(frame.core - album_frame.core).max() > 1e-3
    assert cache.renders == renders + 1  # track rendered once, auto served from its entry
    again = _frames(api, track_id, chunks="0-0", loudness="album")[0]
    assert np.array_equal(again.core, album_frame.core) and cache.renders == renders + 1


def test_histograms_missing_from_stored_fingerprints_are_measured_once_and_kept(
    library: Library, album: dict[str, np.ndarray], api: TestClient
) -> None:
    """Fingerprints stored by Rust, a sidecar or before schema 5 carry no histogram."""
    for name, audio in album.items():
        fingerprint_store.save(_id(library, name), compute_fingerprint(audio, RATE_HZ), "rust")
    track_id = _id(library, "1 intro.wav")
    shown = api.get(f"/api/tracks/{track_id}/plan", params={"loudness": "album"}).json()
    assert shown["inputs"] == "fingerprint" and shown["loudness"] == "album"
    for name, audio in album.items():
        stored = Fingerprint.get(Fingerprint.track == _id(library, name)).loudness_histogram
        counts = unpack_histogram(bytes(stored))
        assert counts is not None
        assert np.array_equal(counts, loudness_histogram(audio, RATE_HZ))
    expected = histogram_loudness(sum(loudness_histogram(a, RATE_HZ) for a in album.values()))
    assert shown["album"]["lufs"] == pytest.approx(expected, abs=0.01)


def test_a_track_without_an_album_tag_plays_in_track_mode(
    library: Library, album: dict[str, np.ndarray], api: TestClient
) -> None:
    song = library.track_id("song.wav")
    album_mode = api.get(f"/api/tracks/{song}/plan", params={"loudness": "album"}).json()
    track_mode = api.get(f"/api/tracks/{song}/plan", params={"loudness": "track"}).json()
    assert album_mode["loudness"] == "track" and album_mode["album"] is None
    assert album_mode["plan"] == track_mode["plan"]


def test_an_unknown_loudness_mode_is_a_400_in_one_line(
    library: Library, album: dict[str, np.ndarray], api: TestClient
) -> None:
    track_id = _id(library, "1 intro.wav")
    for path in ("plan", "stream", "chunks/0.wav"):
        response = api.get(f"/api/tracks/{track_id}/{path}", params={"loudness": "loud"})
        assert response.status_code == 400
        detail = response.json()["detail"]
        assert "loudness mode 'loud'" in detail and "\n" not in detail


def test_an_album_track_that_cannot_be_read_is_left_out(
    library: Library, album: dict[str, np.ndarray], api: TestClient, tmp_path: Path
) -> None:
    broken = library.music / "album" / "2 middle.wav"
    broken.write_bytes(b"RIFF not audio")
    track_id = _id(library, "1 intro.wav")
    shown = api.get(f"/api/tracks/{track_id}/plan", params={"loudness": "album"})
    assert shown.status_code == 200 and shown.json()["album"]["tracks"] == 2
