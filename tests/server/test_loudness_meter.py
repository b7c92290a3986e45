"""The piecewise BS.1770 meter behind the loudness series, against independent meters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from auralis_server.audio.loudness import (
    LoudnessMeter,
    integrated_loudness,
    k_weighted_squares,
    short_term_loudness,
)
from tests.conftest import music_signal, require_audio_fixture
from tests.server.loudness_reference import short_term_48k_published, short_term_pyloudnorm

DRASCULA = Path("/usr/share/scummvm/drascula/audio")


def tone_bursts(rate_hz: int = 48000) -> np.ndarray:
    """1 kHz stereo bursts of 2.5 s at −6, −18, −30 and −45 dBFS, 1.5 s apart, then 5 s of
    silence: every window sees a different mix of levels, the last ones nothing at all."""
    t = np.arange(int(2.5 * rate_hz)) / rate_hz
    gap = np.zeros(int(1.5 * rate_hz))
    parts = []
    for level_dbfs in (-6.0, -18.0, -30.0, -45.0):
        parts += [10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 1000.0 * t), gap]
    mono = np.concatenate([*parts, np.zeros(5 * rate_hz)])
    return np.stack([mono, mono], axis=1)


def metered(audio: np.ndarray, rate_hz: int, piece_frames: list[int]) -> LoudnessMeter:
    meter = LoudnessMeter(rate_hz, audio.shape[1])
    start = 0
    for frames in piece_frames:
        meter.add(audio[start : start + frames])
        start += frames
    meter.add(audio[start:])
    return meter


def test_tone_bursts_match_the_published_48k_filter_per_window() -> None:
    audio = tone_bursts()
    reference = short_term_48k_published(audio)
    series = metered(audio, 48000, [48000 * 10]).short_term_lufs()
    assert len(series) == len(reference) == 19
    audible = np.array(reference) > -70
    assert audible.sum() >= 14 and (~audible).sum() >= 2  # loud, quiet and silent windows
    np.testing.assert_allclose(series[audible], np.array(reference)[audible], atol=0.1)
    assert np.all(series[~audible] < -70)  # −inf or far under the gate
    # A stereo sine at −6 dBFS reads −6 LUFS at 1 kHz (EBU Tech 3341); it fills 2.5 s of 3.
    assert series[0] == pytest.approx(-6.0 + 10 * np.log10(2.5 / 3), abs=0.1)


@pytest.mark.parametrize("rate_hz", [44100, 48000])
def test_music_like_signal_matches_pyloudnorm_per_window(rate_hz: int) -> None:
    audio = music_signal(20.0, rate_hz, seed=5) * np.linspace(0.05, 1.0, 20 * rate_hz)[:, None]
    series = metered(audio, rate_hz, [rate_hz * 7 + 13, 1, rate_hz * 3]).short_term_lufs()
    np.testing.assert_allclose(series, short_term_pyloudnorm(audio, rate_hz), atol=0.1)


def test_real_music_matches_pyloudnorm_per_window() -> None:
    require_audio_fixture(DRASCULA.is_dir(), f"{DRASCULA} missing (apt-get install drascula-music)")
    for name in ("track12.ogg", "track25.ogg"):
        audio, rate_hz = soundfile.read(DRASCULA / name, always_2d=True)
        series = metered(audio, rate_hz, [rate_hz * 10] * (len(audio) // (rate_hz * 10)))
        reference = short_term_pyloudnorm(audio, rate_hz)
        assert len(reference) >= 7
        np.testing.assert_allclose(series.short_term_lufs(), reference, atol=0.1, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(
    rate_hz=st.sampled_from([8000, 11025, 22050, 44100]),
    cuts=st.lists(st.integers(0, 8 * 44100), max_size=6),
)
def test_any_split_into_pieces_reads_as_the_whole_signal(rate_hz: int, cuts: list[int]) -> None:
    audio = music_signal(8.5, rate_hz, seed=len(cuts))
    points = sorted(min(cut, len(audio)) for cut in cuts)
    pieces = np.diff([0, *points]).tolist()
    meter = metered(audio, rate_hz, pieces)
    whole = short_term_loudness(k_weighted_squares(audio, rate_hz), rate_hz)
    np.testing.assert_allclose(meter.short_term_lufs(), whole, atol=1e-9)
    assert meter.integrated_lufs() == pytest.approx(integrated_loudness(audio, rate_hz), abs=1e-9)


def test_a_signal_shorter_than_a_window_has_no_readings() -> None:
    meter = metered(music_signal(2.9, 44100), 44100, [1000])
    assert meter.short_term_lufs().shape == (0,)
    assert meter.integrated_lufs() > -70  # 400 ms blocks still measure it
