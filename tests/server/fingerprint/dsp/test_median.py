from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import median_filter

from auralis_server.fingerprint.dsp.median import sliding_median


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("shape", [(300, 200), (5, 40), (40, 3)])
def test_sliding_median_equals_scipy(axis: int, shape: tuple[int, int]) -> None:
    values = np.random.default_rng(1).random(shape).astype(np.float32)
    size = (31, 1) if axis == 0 else (1, 31)
    np.testing.assert_array_equal(
        sliding_median(values, 31, axis), median_filter(values, size=size, mode="reflect")
    )


def test_even_window_is_rejected() -> None:
    with pytest.raises(ValueError):
        sliding_median(np.zeros((3, 3), dtype=np.float32), 4, 0)
