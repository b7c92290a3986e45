"""Sliding median along one axis, by partition over a strided window view.

scipy.ndimage.median_filter gives the same numbers (its "reflect" mode is numpy's
"symmetric" padding) but is about 4× slower for the 31-wide kernels of HPSS;
tests/dsp/test_median.py checks they agree and bench/fingerprint.py times the whole path.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

_ROWS_PER_BLOCK = 128


def sliding_median(
    values: npt.NDArray[np.float32], size: int, axis: int
) -> npt.NDArray[np.float32]:
    """Median over an odd ``size`` window centred on each element along ``axis`` (0 or 1)."""
    if size % 2 == 0:
        raise ValueError(f"median window must be odd, got {size}")
    data = values if axis == 1 else values.T
    half = size // 2
    padded = np.pad(data, ((0, 0), (half, half)), mode="symmetric")
    out = np.empty_like(data)
    for start in range(0, data.shape[0], _ROWS_PER_BLOCK):
        windows = sliding_window_view(padded[start : start + _ROWS_PER_BLOCK], size, axis=1)
        out[start : start + _ROWS_PER_BLOCK] = np.partition(windows, half, axis=-1)[..., half]
    return out if axis == 1 else out.T
