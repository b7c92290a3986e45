"""What a worker process runs: decode a whole file and compute its fingerprint in Python.

Module-level and importable without the server, so the spawn-started pool workers stay light.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from auralis_server.audio.loudness import loudness_histogram, pack_histogram
from auralis_server.audio.source import probe, read_frames
from auralis_server.fingerprint.dsp.analysis import compute_fingerprint
from auralis_server.mastering.true_peak import true_peak_envelope


def fingerprint_file(path: str) -> tuple[dict[str, float], float]:
    """(values, seconds spent) for the audio at ``path``; AudioReadError if it cannot be read."""
    values, seconds, *_ = fingerprint_job(path)
    return values, seconds


def fingerprint_job(path: str) -> tuple[dict[str, float], float, str, bytes, float]:
    """(values, seconds, "python", packed block-loudness histogram, true peak): the background
    job's Python path measures what album loudness and ReplayGain peaks need from the same
    decoded samples."""
    started = time.perf_counter()
    info = probe(Path(path))
    samples = read_frames(Path(path), 0, info.total_frames)
    values = compute_fingerprint(samples, info.sample_rate_hz)
    histogram = pack_histogram(loudness_histogram(samples, info.sample_rate_hz))
    return values, time.perf_counter() - started, "python", histogram, true_peak(samples)


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
