"""The dynamics' control grid: one value per ``BLOCK_FRAMES`` frames from the track's first
frame, and the finite-memory window operations the chain and the level profile share, so the
profile measures the very levels the compressor's detector will see."""

from __future__ import annotations

import numpy as np

from auralis_server.audio.arrays import Array

BLOCK_FRAMES = 32
_POWER_FLOOR = 1e-20


def window_blocks(ms: float, rate_hz: int) -> int:
    """An odd window length in blocks, at least one."""
    blocks = max(1, round(ms * rate_hz / 1000.0 / BLOCK_FRAMES))
    return blocks if blocks % 2 else blocks + 1


def moving_mean(values: Array, window: int, edge: str) -> Array:
    """Centred mean over an odd ``window``; outside the array is 0 (``zero``) or the edge value."""
    half = window // 2
    padded = (
        np.pad(values, (half, half))
        if edge == "zero"
        else np.pad(values, (half, half), mode="edge")
    )
    cumulative = np.concatenate([[0.0], np.cumsum(padded)])
    return (cumulative[window:] - cumulative[:-window]) / window


def block_power(audio: Array) -> Array:
    """Mean square per block over all channels (a last, short block is zero-padded)."""
    whole = len(audio) // BLOCK_FRAMES * BLOCK_FRAMES
    blocks = audio[:whole].reshape(-1, BLOCK_FRAMES * audio.shape[1])
    power = np.einsum("ij,ij->i", blocks, blocks)
    if whole < len(audio):
        rest = audio[whole:]
        power = np.append(power, np.vdot(rest, rest))
    return power / (BLOCK_FRAMES * audio.shape[1])


def power_db(power: Array) -> Array:
    return 10.0 * np.log10(np.maximum(power, _POWER_FLOOR))
