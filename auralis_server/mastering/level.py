"""The level stage's model: how loud the chain's output will be, from the plan's numbers alone.

The plan must say what the render will measure, yet it sees only the fingerprint (loudness,
crest, band balance), not the track's level distribution. So the compressor's effect is the
expectation over a model distribution: 50 ms window levels, in dB about the track's RMS,
are taken as normal with spread ``LEVEL_SPREAD_DB``; weighted by power (what loudness
averages) that normal shifts up by σ²·ln10/20. The limiter's loss is a measured fraction of
the gain reduction the plan expects on the loudest passages. Both constants were fitted on
generated mixes and checked on real game-soundtrack tracks (tests/server/mastering/
test_level_stage.py).
"""

from __future__ import annotations

import math

import numpy as np

from auralis_server.audio.arrays import Array

LEVEL_SPREAD_DB = 3.0
# Integrated loudness lost per dB of limiter gain reduction the plan expects at the peaks.
LIMITER_LOUDNESS_PER_DB = 0.15
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


def compressor_loudness_change_db(
    threshold_over_rms_db: float, ratio: float, knee_db: float
) -> float:
    """Expected loudness change (≤ 0 dB) of compressing a track whose RMS is the reference."""
    spread = LEVEL_SPREAD_DB
    levels = spread * _NODES + spread * spread * math.log(10.0) / 20.0  # power-weighted
    reduction = soft_knee_reduction_db(levels - threshold_over_rms_db, ratio, knee_db)
    return 10.0 * math.log10(float(np.dot(_WEIGHTS, 10.0 ** (-reduction / 10.0))))


def limiter_loudness_loss_db(expected_reduction_db: float) -> float:
    """Loudness the limiter takes when it reduces the loudest passages by this much."""
    return LIMITER_LOUDNESS_PER_DB * max(0.0, expected_reduction_db)
