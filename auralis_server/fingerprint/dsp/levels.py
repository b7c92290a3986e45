"""Level dimensions on the native signal: crest (9), silence (14), per-second variation (21–23)."""

from __future__ import annotations

import numpy as np

from auralis_server.audio.arrays import Array
from auralis_server.audio.loudness import ABSOLUTE_GATE_LUFS, short_term_loudness

SILENCE_DBFS = -60.0
SILENCE_FRAME_S = 0.1
SHORT_TERM_RELATIVE_GATE_LU = -20.0
_SILENCE_POWER = 10.0 ** (SILENCE_DBFS / 10.0)


def _db(ratio: float) -> float:
    return 20.0 * float(np.log10(ratio))


def crest_db(
    peak: float, block_mean_squares: Array, block_lufs: Array, whole_mean_square: float
) -> float:
    """20·log10(peak / RMS); RMS over 400 ms blocks above −70 LUFS (all of a shorter signal).

    ``block_mean_squares`` are the channel-averaged mean squares of the same blocks whose
    K-weighted loudness is ``block_lufs``. Silence reads 0 dB.
    """
    if peak == 0.0:
        return 0.0
    gated = block_lufs > ABSOLUTE_GATE_LUFS
    mean_square = float(block_mean_squares[gated].mean()) if gated.any() else whole_mean_square
    return _db(peak / np.sqrt(mean_square)) if mean_square > 0 else 0.0


def _frame_stats(audio: Array, frame: int) -> tuple[Array, Array]:
    """(mean square, peak) over all channels of consecutive ``frame``-long windows."""
    count = max(1, len(audio) // frame)
    usable = audio[: count * frame] if len(audio) >= frame else audio
    shaped = usable.reshape(count, -1)
    return np.einsum("ij,ij->i", shaped, shaped) / shaped.shape[1], np.abs(shaped).max(axis=1)


def silence_ratio(audio: Array, rate_hz: int) -> float:
    """Fraction of 100 ms frames whose RMS (all channels) is below −60 dBFS."""
    if audio.size == 0:
        return 1.0
    mean_square, _ = _frame_stats(audio, max(1, round(SILENCE_FRAME_S * rate_hz)))
    return float((mean_square < _SILENCE_POWER).mean())


def per_second_features(audio: Array, rate_hz: int) -> dict[str, float]:
    """dynamic_range_variation and peak_consistency from 1 s frames."""
    mean_square, peaks = _frame_stats(audio, rate_hz)
    audible = mean_square >= _SILENCE_POWER
    crests = (
        10.0 * np.log10(peaks[audible] ** 2 / mean_square[audible])
        if audible.any()
        else np.zeros(0)
    )
    variation = float(crests.std()) if len(crests) >= 2 else 0.0
    mean_peak = float(peaks.mean())
    consistency = float(1.0 / (1.0 + peaks.std() / mean_peak)) if mean_peak > 0 else 1.0
    return {"dynamic_range_variation": variation, "peak_consistency": consistency}


def loudness_variation(k_squares: Array, rate_hz: int) -> float:
    """Std (LU) of 3 s short-term loudness over windows above −70 LUFS and −20 LU relative."""
    lufs = short_term_loudness(k_squares, rate_hz)
    lufs = lufs[lufs > ABSOLUTE_GATE_LUFS]
    if len(lufs) < 2:
        return 0.0
    relative = 10.0 * np.log10(np.mean(10.0 ** (lufs / 10.0))) + SHORT_TERM_RELATIVE_GATE_LU
    gated = lufs[lufs > relative]
    return float(gated.std()) if len(gated) >= 2 else 0.0
