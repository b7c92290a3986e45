"""The level stage's model: the limiter's loudness loss for every plan, and the compressor's
loudness change from the fingerprint alone, for a caller without the track's level profile
(``mastering/profile.py``: the server always has one, and reads the compressor from it).

The plan must say what the render will measure, yet it sees only the fingerprint (loudness,
crest, band balance), not the track's level distribution. So the compressor's effect is the
expectation over a model distribution: 50 ms window levels, in dB about the track's RMS,
are taken as normal; weighted by power (what loudness averages) that normal shifts up by
σ²·ln10/20. Its spread grows with the crest factor — the one number the fingerprint has
about how far the level moves (``level_spread_db``). The limiter's loss is a measured
fraction of the gain reduction the plan expects on the loudest passages. The constants were
fitted on 31 real game-soundtrack excerpts × the compressing presets together with the
generated mixes of tests/server/mastering/test_level_stage.py (docs/mastering.md).
"""

from __future__ import annotations

import math

import numpy as np

from auralis_server.audio.arrays import Array

# σ of the 50 ms levels (dB) at a 16 dB crest, and how much it grows per dB of crest: fitted
# to the compressor's measured loudness change in 185 renders (31 drascula excerpts and the 9
# generated mixes × the presets that compress), it halves the mean squared error of the
# earlier fixed 3 dB spread (0.065 → 0.032 LU²; errors over 0.3 LU: 27 → 15).
LEVEL_SPREAD_DB = 3.3
LEVEL_SPREAD_PER_CREST_DB = 0.2
LEVEL_SPREAD_CREST_DB = 16.0
LEVEL_SPREAD_MIN_DB = 0.5
# Integrated loudness lost per dB of limiter gain reduction the plan expects at the peaks: the
# loudest passages are short. The least-squares slope of measured loss against the reduction
# over 15 drascula excerpts and the generated mixes × 4 presets (92 renders): 0.019 LU/dB
# (0.017 on the real tracks alone, 0.013 on the generated ones, whose extra 0.06 LU at no
# reduction is the anti-alias low-pass taking their content above 19 kHz).
LIMITER_LOUDNESS_PER_DB = 0.02
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(41)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def soft_knee_reduction_db(over_db: Array, ratio: float, knee_db: float) -> Array:
    """Gain reduction (dB ≥ 0) of a soft-knee compressor for levels ``over_db`` its threshold."""
    slope = 1.0 - 1.0 / ratio
    return np.where(
        over_db >= knee_db / 2,
        slope * over_db,
        np.where(over_db > -knee_db / 2, slope * (over_db + knee_db / 2) ** 2 / (2 * knee_db), 0.0),
    )


def level_spread_db(crest_db: float) -> float:
    """σ (dB) of the model's 50 ms levels for a track with this crest factor."""
    return max(
        LEVEL_SPREAD_MIN_DB,
        LEVEL_SPREAD_DB + LEVEL_SPREAD_PER_CREST_DB * (crest_db - LEVEL_SPREAD_CREST_DB),
    )


def compressor_loudness_change_db(
    threshold_over_rms_db: float, ratio: float, knee_db: float, crest_db: float
) -> float:
    """Expected loudness change (≤ 0 dB) of compressing a track whose RMS is the reference."""
    spread = level_spread_db(crest_db)
    levels = spread * _NODES + spread * spread * math.log(10.0) / 20.0  # power-weighted
    reduction = soft_knee_reduction_db(levels - threshold_over_rms_db, ratio, knee_db)
    return 10.0 * math.log10(float(np.dot(_WEIGHTS, 10.0 ** (-reduction / 10.0))))


def limiter_loudness_loss_db(expected_reduction_db: float) -> float:
    """Loudness the limiter takes when it reduces the loudest passages by this much."""
    return LIMITER_LOUDNESS_PER_DB * max(0.0, expected_reduction_db)
