"""Independent BS.1770 short-term meters for the loudness-series tests.

Neither uses ``auralis_server.audio.loudness``: one filters with the coefficients printed in
ITU-R BS.1770-4 (Tables 1 and 2, valid at 48 kHz only) and windows in a plain loop; the
other is pyloudnorm's meter (De Man's exact filter, any rate) with 3 s blocks every 1 s.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyloudnorm
from scipy.signal import lfilter

# ITU-R BS.1770-4 Table 1 (pre-filter, the head's shelf) and Table 2 (RLB high-pass), 48 kHz.
BS1770_48K_STAGES = (
    (
        [1.53512485958697, -2.69169618940638, 1.19839281085285],
        [1.0, -1.69065929318241, 0.73248077421585],
    ),
    ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]),
)
WINDOW_S, HOP_S = 3.0, 1.0


def short_term_48k_published(audio: npt.NDArray[np.floating]) -> list[float]:
    """Short-term LUFS of (frames, channels) 48 kHz ``audio`` per BS.1770-4 eq. 1–2, −inf when
    a window is digital silence. Channels L, R, C weigh 1 (no surround here)."""
    filtered = np.asarray(audio, dtype=np.float64)
    for b, a in BS1770_48K_STAGES:
        filtered = lfilter(b, a, filtered, axis=0)
    window, hop = int(WINDOW_S * 48000), int(HOP_S * 48000)
    readings = []
    for start in range(0, len(filtered) - window + 1, hop):
        power = float(np.sum(np.mean(filtered[start : start + window] ** 2, axis=0)))
        readings.append(-0.691 + 10.0 * math.log10(power) if power > 0 else -math.inf)
    return readings


def short_term_pyloudnorm(audio: npt.NDArray[np.floating], rate_hz: int) -> list[float]:
    """pyloudnorm's per-block loudness with 3 s blocks overlapping by 2 s: the short-term
    series. pyloudnorm rounds its block count (a last block may run past the end), so only
    the complete windows are kept."""
    meter = pyloudnorm.Meter(rate_hz, filter_class="DeMan", block_size=WINDOW_S, overlap=2 / 3)
    meter.integrated_loudness(np.asarray(audio, dtype=np.float64))
    complete = (len(audio) - int(WINDOW_S * rate_hz)) // int(HOP_S * rate_hz) + 1
    return [float(value) for value in meter.blockwise_loudness[:complete]]
