"""The adaptive EQ's reference (issue 14, item 5): on real mastered music it asks for little,
and on the same music made dull or thin it takes most of the tilt back.

The tilts are applied with scipy's Butterworth filters (zero-phase: x + (g − 1)·filtfilt(x),
a shelf of exactly g above or below the corner), not the EQ's own biquads, and measured with
the fingerprint's band powers on the chain's output. The tracks are the `drascula-music` and
`asc-music` packages; without them these tests skip.
"""

from __future__ import annotations

import functools
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from auralis_server.audio.source import probe, read_frames
from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.mastering import chain
from auralis_server.mastering.eq import (
    BAND_EDGES_HZ,
    CORRECTION_BOOST_LIMIT_DB,
    CORRECTION_CUT_LIMIT_DB,
    EQ_GROUPS,
    EQ_LAYOUT,
    MODEL_GRID_HZ,
    REFERENCE_BANDS,
    correction_gains_db,
    model_spectrum,
)
from auralis_server.mastering.plan import make_plan
from shared.presets import PRESETS

MUSIC_DIRS = (Path("/usr/share/scummvm/drascula/audio"), Path("/usr/share/games/asc/music"))
SUFFIXES = {".ogg", ".mp3", ".flac"}
MEDIAN_GAIN_LIMIT_DB = 1.5
CLAMPED_SHARE_LIMIT = 0.10
EXCERPT_S = 20.0  # from the middle of each track
TILT_DB = 6.0
UNDONE_MEDIAN = 0.60


def _music() -> list[Path]:
    paths = sorted(p for d in MUSIC_DIRS if d.is_dir() for p in d.iterdir() if p.suffix in SUFFIXES)
    if not paths:
        pytest.skip("no mastered music installed (apt-get install drascula-music asc-music)")
    return paths


def _bands(audio: np.ndarray, rate_hz: int) -> dict[str, float]:
    return plan_inputs(audio, rate_hz)


@functools.cache
def _whole(path: Path) -> dict[str, float]:
    info = probe(path)
    return _bands(read_frames(path, 0, info.total_frames), info.sample_rate_hz)


def test_real_masters_ask_for_little_eq_and_rarely_reach_the_clamp() -> None:
    """The old reference asked +3.5 to +4 dB at 3 kHz and on the top shelf of 20 of 24 tracks.

    Whole tracks, as the stored fingerprint sees them; the gains are the plan's EQ (what is
    applied), the clamp is the correction's own cut or boost limit."""
    applied, corrections = [], []
    for path in _music():
        values = _whole(path)
        applied.append([band.gain_db for band in make_plan(values, "adaptive", 1.0).eq])
        corrections.append(correction_gains_db({name: values[name] for name in REFERENCE_BANDS}))
    magnitudes = np.abs(np.array(applied))
    gains = np.array(corrections)
    clamped = (
        (gains <= -CORRECTION_CUT_LIMIT_DB + 0.01) | (gains >= CORRECTION_BOOST_LIMIT_DB - 0.01)
    ).any(axis=1)
    assert float(np.median(magnitudes)) <= MEDIAN_GAIN_LIMIT_DB, np.median(magnitudes, axis=0)
    assert clamped.mean() < CLAMPED_SHARE_LIMIT, clamped.sum()


def _shelf(audio: np.ndarray, rate_hz: int, kind: str, corner_hz: float) -> np.ndarray:
    """``audio`` with everything above (``highpass``) or below (``lowpass``) the corner −6 dB."""
    sos = butter(4, corner_hz, btype=kind, fs=rate_hz, output="sos")
    return audio + (10.0 ** (-TILT_DB / 20.0) - 1.0) * sosfiltfilt(sos, audio, axis=0)


def _group_level_db(bands: dict[str, float], group: tuple[str, ...]) -> float:
    """A group's level against the 500–2000 Hz band, which neither tilt touches."""
    return 10.0 * math.log10(sum(bands[name] for name in group) / bands["mid_pct"])


def _excerpt(path: Path) -> tuple[np.ndarray, int]:
    info = probe(path)
    length = min(info.total_frames, int(EXCERPT_S * info.sample_rate_hz))
    start = (info.total_frames - length) // 2
    return read_frames(path, start, start + length), info.sample_rate_hz


def _mastered(audio: np.ndarray, rate_hz: int) -> np.ndarray:
    return chain.render(audio, make_plan(_bands(audio, rate_hz), "adaptive", 1.0), rate_hz)


TILTS = {  # name: (filter kind whose band the shelf lowers, corner, the group it moves)
    "dull": ("highpass", 4000.0, EQ_GROUPS[-1]),
    "thin": ("lowpass", 200.0, EQ_GROUPS[0]),
}


def test_adaptive_takes_back_most_of_a_dull_or_thin_tilt() -> None:
    """Every track, made dull and made thin: how much of the tilt the input shows is gone from
    the output, against the same track mastered untilted. A track whose correction already
    sits at the limit cannot take a tilt back (the docs list them), hence the median."""
    undone: dict[str, list[float]] = {name: [] for name in TILTS}
    for path in _music():
        audio, rate = _excerpt(path)
        bands_in, bands_out = _bands(audio, rate), _bands(_mastered(audio, rate), rate)
        for name, (kind, corner_hz, group) in TILTS.items():
            tilted = _shelf(audio, rate, kind, corner_hz)
            tilt_in = _group_level_db(_bands(tilted, rate), group) - _group_level_db(
                bands_in, group
            )
            assert tilt_in < -1.0, (path.name, name, tilt_in)  # the shelf moved the group
            tilt_out = _group_level_db(
                _bands(_mastered(tilted, rate), rate), group
            ) - _group_level_db(bands_out, group)
            undone[name].append(1.0 - tilt_out / tilt_in)
    for name, shares in undone.items():
        assert float(np.median(shares)) >= UNDONE_MEDIAN, (name, np.round(shares, 2))


def test_a_track_at_the_reference_gets_each_presets_tilt_alone() -> None:
    """Presets tilt relative to the reference: no correction is added where there is none to make."""
    assert correction_gains_db(REFERENCE_BANDS) == (0.0,) * len(EQ_LAYOUT)
    values = {"lufs": -20.0, "crest_db": 18.0, **REFERENCE_BANDS}
    for name, preset in PRESETS.items():
        plan = make_plan(values, name, 1.0)
        assert tuple(band.gain_db for band in plan.eq) == pytest.approx(preset.eq_tilt_db), name


def test_the_model_spectrum_holds_each_bands_share() -> None:
    bands = dict(zip(REFERENCE_BANDS, [0.01, 0.3, 0.2, 0.3, 0.1, 0.07, 0.02], strict=True))
    spectrum = model_spectrum(bands)
    for (low, high), share in zip(itertools.pairwise(BAND_EDGES_HZ), bands.values(), strict=True):
        inside = (MODEL_GRID_HZ >= low) & (MODEL_GRID_HZ < high)
        assert spectrum[inside].sum() == pytest.approx(share, rel=1e-9)
