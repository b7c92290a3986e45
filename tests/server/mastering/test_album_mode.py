"""Album mode on a generated album of three mixes at −24, −18 and −11 LUFS.

The expectations are independent of the code under test: loudness is read by pyloudnorm,
the album's loudness from the concatenated audio, and the render is the chain's own
whole-track render of the plan each track gets.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from auralis_server.audio.loudness import (
    histogram_loudness,
    integrated_loudness,
    loudness_histogram,
    pack_histogram,
    unpack_histogram,
)
from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.mastering import chain
from auralis_server.mastering.album import AlbumMember, album_loudness, album_plan
from auralis_server.mastering.plan import make_plan
from auralis_server.mastering.profile import measure_profile
from shared.presets import PRESET_NAMES
from tests.server.mastering.mastering_signals import RATE_HZ, at_lufs, mix

ALBUM_LUFS = (-24.0, -18.0, -11.0)


@pytest.fixture(scope="module")
def album_tracks() -> list[np.ndarray]:
    return [at_lufs(mix(20.0, song=i), lufs) for i, lufs in enumerate(ALBUM_LUFS)]


@pytest.fixture(scope="module")
def members(album_tracks: list[np.ndarray]) -> list[AlbumMember]:
    return [
        AlbumMember(  # as the server makes them: with each track's level profile
            plan_inputs(track, RATE_HZ),
            loudness_histogram(track, RATE_HZ),
            measure_profile(track, RATE_HZ),
        )
        for track in album_tracks
    ]


def test_album_loudness_from_histograms_equals_the_concatenated_audio(
    album_tracks: list[np.ndarray], members: list[AlbumMember]
) -> None:
    combined = album_loudness(members).lufs
    expected = pyloudnorm.Meter(RATE_HZ).integrated_loudness(np.concatenate(album_tracks))
    assert combined == pytest.approx(expected, abs=0.1)


def test_a_tracks_histogram_gives_its_own_loudness_and_survives_storage(
    album_tracks: list[np.ndarray],
) -> None:
    for track in album_tracks:
        counts = loudness_histogram(track, RATE_HZ)
        assert histogram_loudness(counts) == pytest.approx(
            integrated_loudness(track, RATE_HZ), abs=0.05
        )
        restored = unpack_histogram(pack_histogram(counts))
        assert restored is not None and np.array_equal(restored, counts)
    assert unpack_histogram(b"not a histogram") is None
    assert unpack_histogram(None) is None


def test_silence_has_an_empty_histogram_and_reads_the_silence_floor() -> None:
    counts = loudness_histogram(np.zeros((RATE_HZ * 2, 2)), RATE_HZ)
    assert counts.sum() == 0
    assert histogram_loudness(counts) == integrated_loudness(np.zeros((RATE_HZ * 2, 2)), RATE_HZ)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_album_mode_keeps_the_differences_and_brings_the_album_to_the_target(
    preset: str, album_tracks: list[np.ndarray], members: list[AlbumMember]
) -> None:
    album = album_loudness(members)
    meter = pyloudnorm.Meter(RATE_HZ)
    plans = [album_plan(m.values, album, preset, 1.0, track_profile=m.profile) for m in members]
    outputs = [
        chain.render(track, plan, RATE_HZ) for track, plan in zip(album_tracks, plans, strict=True)
    ]
    inputs_lufs = np.array([meter.integrated_loudness(track) for track in album_tracks])
    outputs_lufs = np.array([meter.integrated_loudness(out) for out in outputs])
    assert np.abs(np.diff(outputs_lufs) - np.diff(inputs_lufs)).max() <= 0.5
    # one decision for the album: the same gain, EQ, ratio and expansion on every track
    assert len({(p.ceiling_trim_db, p.trim_db, p.eq, p.expander, p.region) for p in plans}) == 1
    assert len({p.compressor.ratio if p.compressor else 1.0 for p in plans}) == 1
    album_out = meter.integrated_loudness(np.concatenate(outputs))
    reached = plans[0].target_lufs - plans[0].ceiling_limited_db
    assert album_out == pytest.approx(reached, abs=1.0)


@pytest.mark.parametrize("intensity", [0.0, 1.0])
def test_every_track_of_a_one_track_album_plays_as_in_track_mode_at_the_album_loudness(
    intensity: float, album_tracks: list[np.ndarray], members: list[AlbumMember]
) -> None:
    """An album of one track: its album plan levels it as track mode does (same gain)."""
    alone = album_loudness(members[1:2])
    plan = album_plan(
        members[1].values, alone, "adaptive", intensity, track_profile=members[1].profile
    )
    track = make_plan(members[1].values, "adaptive", intensity, profile=members[1].profile)
    assert plan.gain_db == pytest.approx(track.gain_db, abs=0.1)
    assert plan.bypass == (intensity == 0.0)
