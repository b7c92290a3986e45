"""RBJ Audio-EQ-Cookbook biquads (R. Bristow-Johnson) as scipy second-order sections."""

from __future__ import annotations

import math

import numpy as np

from auralis_server.audio.arrays import Array


def biquad_sos(kind: str, freq_hz: float, gain_db: float, q: float, rate_hz: int) -> Array:
    """One section [b0, b1, b2, 1, a1, a2] for ``low_shelf``, ``peaking`` or ``high_shelf``."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * min(freq_hz, 0.49 * rate_hz) / rate_hz
    cos_w0, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    if kind == "peaking":
        b = [1 + alpha * a, -2 * cos_w0, 1 - alpha * a]
        den = [1 + alpha / a, -2 * cos_w0, 1 - alpha / a]
    elif kind in ("low_shelf", "high_shelf"):
        sign = 1.0 if kind == "low_shelf" else -1.0
        root = 2.0 * math.sqrt(a) * alpha
        b = [
            a * ((a + 1) - sign * (a - 1) * cos_w0 + root),
            sign * 2 * a * ((a - 1) - sign * (a + 1) * cos_w0),
            a * ((a + 1) - sign * (a - 1) * cos_w0 - root),
        ]
        den = [
            (a + 1) + sign * (a - 1) * cos_w0 + root,
            -sign * 2 * ((a - 1) + sign * (a + 1) * cos_w0),
            (a + 1) + sign * (a - 1) * cos_w0 - root,
        ]
    else:
        raise ValueError(f"unknown biquad kind {kind!r}")
    return np.array(
        [b[0] / den[0], b[1] / den[0], b[2] / den[0], 1.0, den[1] / den[0], den[2] / den[0]]
    )
