"""Per-channel work on a small shared thread pool.

scipy's ``sosfilt`` and ``upfirdn`` release the GIL, so filtering the channels of a chunk on
separate cores halves a render's latency on a two-core NAS (bench/mastering.py shows it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from auralis_server.audio.arrays import Array

_POOL = ThreadPoolExecutor(
    max_workers=max(1, min(8, os.cpu_count() or 1)), thread_name_prefix="dsp"
)


def per_channel(function: Callable[[Array], Array], audio: Array) -> Array:
    """``function`` applied to each column of (frames, channels) ``audio``, columns in parallel."""
    if audio.shape[1] == 1 or _POOL._max_workers == 1:
        return np.stack([function(audio[:, c]) for c in range(audio.shape[1])], axis=1)
    return np.stack(list(_POOL.map(function, (audio[:, c] for c in range(audio.shape[1])))), axis=1)
