"""Joining chunk frames into continuous audio, crossfading each overlap tail into the next head.

Chunk i arrives as its core plus a tail that repeats the first frames of chunk i+1 as the
server rendered them with chunk i's plan. When both chunks share a plan the tail equals the
head and the equal-gain crossfade changes nothing; after a preset or intensity change the
tail (old plan) fades linearly into the head (new plan), so the switch has no step.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from shared.wire import Frame

Samples = npt.NDArray[np.float32]


def equal_gain(tail: Samples, head: Samples) -> Samples:
    """Linear crossfade: gains (1 − r) and r sum to 1, right for correlated signals."""
    ramp = ((np.arange(len(tail)) + 0.5) / len(tail))[:, None]
    mixed = tail.astype(np.float64) * (1.0 - ramp) + head.astype(np.float64) * ramp
    return mixed.astype(np.float32)


def equal_power(outgoing: Samples, incoming: Samples) -> Samples:
    """cos/sin crossfade (powers sum to 1), right for unrelated signals such as two tracks."""
    angle = ((np.arange(len(outgoing)) + 0.5) / len(outgoing) * (np.pi / 2))[:, None]
    mixed = outgoing.astype(np.float64) * np.cos(angle) + incoming.astype(np.float64) * np.sin(
        angle
    )
    return mixed.astype(np.float32)


class ChunkJoiner:
    """Feed frames in chunk order; take back audio that is final."""

    def __init__(self) -> None:
        self._pending_tail: Samples | None = None

    def feed(self, frame: Frame) -> Samples:
        core = frame.core
        if self._pending_tail is not None and len(self._pending_tail):
            overlap = min(len(self._pending_tail), len(core))
            core = core.copy()
            core[:overlap] = equal_gain(self._pending_tail[:overlap], core[:overlap])
        self._pending_tail = frame.tail.copy()  # a view would keep the whole chunk alive
        return core

    def prime(self, tail: Samples | None) -> None:
        """Start from another joiner's held tail (a switch resumes at a chunk boundary)."""
        self._pending_tail = tail
