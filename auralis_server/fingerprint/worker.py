"""What a worker process runs: decode a whole file and compute its fingerprint in Python.

Module-level and importable without the server, so the spawn-started pool workers stay light.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from auralis_server.audio.loudness import loudness_histogram, pack_histogram
from auralis_server.audio.source import probe, read_frames
from auralis_server.fingerprint.dsp.analysis import compute_fingerprint
from auralis_server.mastering.profile import measure_profile
from auralis_server.mastering.true_peak import true_peak_envelope


@dataclass(frozen=True)
class JobResult:
    """A fingerprint job's result: the values, who computed them in how long, and what the
    Python path measures from the same decoded samples (None where a source did not)."""

    values: dict[str, float]
    seconds: float
    source: str
    histogram: bytes | None = None  # packed block-loudness counts, for album loudness
    true_peak: float | None = None  # linear, for ReplayGain peaks
    profile: bytes | None = None  # packed level profile, for the mastering level stage


def fingerprint_file(path: str) -> tuple[dict[str, float], float]:
    """(values, seconds spent) for the audio at ``path``; AudioReadError if it cannot be read."""
    result = fingerprint_job(path)
    return result.values, result.seconds


def fingerprint_job(path: str) -> JobResult:
    """The background job's Python path: the fingerprint, and what album loudness, ReplayGain
    peaks and the level stage need, from one decode."""
    started = time.perf_counter()
    info = probe(Path(path))
    samples = read_frames(Path(path), 0, info.total_frames)
    rate_hz = info.sample_rate_hz
    values = compute_fingerprint(samples, rate_hz)
    return JobResult(
        values,
        time.perf_counter() - started,
        "python",
        pack_histogram(loudness_histogram(samples, rate_hz)),
        true_peak(samples),
        measure_profile(samples, rate_hz).pack(),
    )


def true_peak(samples: npt.ArrayLike) -> float:
    """The track's largest true peak (linear). Only frames near the sample peak can hold it,
    so only they are oversampled (``floor``)."""
    audio = np.asarray(samples, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.size == 0:
        return 0.0
    sample_peak = float(np.abs(audio).max())
    return float(true_peak_envelope(audio, floor=sample_peak).max(initial=0.0))
