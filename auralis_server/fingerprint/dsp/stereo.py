"""Stereo dimensions (24, 25) from the first two channels of the native signal."""

from __future__ import annotations

import numpy as np

from auralis_server.audio.arrays import Array


def stereo_features(audio: Array) -> dict[str, float]:
    """Width RMS(S)/(RMS(M)+RMS(S)) and Pearson correlation of L and R.

    Mono reads width 0, correlation 1; silence the same. A channel with no variance against
    one with some has no defined correlation and reads 0.
    """
    if audio.ndim == 1 or audio.shape[1] < 2:
        return {"stereo_width": 0.0, "phase_correlation": 1.0}
    left = audio[:, 0].astype(np.float64)
    right = audio[:, 1].astype(np.float64)
    mid_rms = float(np.sqrt(np.mean(((left + right) / 2) ** 2)))
    side_rms = float(np.sqrt(np.mean(((left - right) / 2) ** 2)))
    width = side_rms / (mid_rms + side_rms) if mid_rms + side_rms > 0 else 0.0
    left_c, right_c = left - left.mean(), right - right.mean()
    left_power, right_power = float(left_c @ left_c), float(right_c @ right_c)
    if left_power > 0 and right_power > 0:
        correlation = float(
            np.clip((left_c @ right_c) / np.sqrt(left_power * right_power), -1.0, 1.0)
        )
    else:
        correlation = 1.0 if left_power == right_power == 0 else 0.0
    return {"stereo_width": width, "phase_correlation": correlation}
