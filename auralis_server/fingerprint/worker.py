"""What a worker process runs: decode a whole file and compute its fingerprint in Python.

Module-level and importable without the server, so the spawn-started pool workers stay light.
"""

from __future__ import annotations

import time
from pathlib import Path

from auralis_server.audio.loudness import loudness_histogram, pack_histogram
from auralis_server.audio.source import probe, read_frames
from auralis_server.fingerprint.dsp.analysis import compute_fingerprint


def fingerprint_file(path: str) -> tuple[dict[str, float], float]:
    """(values, seconds spent) for the audio at ``path``; AudioReadError if it cannot be read."""
    values, seconds, _, _ = fingerprint_job(path)
    return values, seconds


def fingerprint_job(path: str) -> tuple[dict[str, float], float, str, bytes]:
    """(values, seconds, "python", packed block-loudness histogram): the background job's
    Python path measures the histogram album loudness needs from the same decoded samples."""
    started = time.perf_counter()
    info = probe(Path(path))
    samples = read_frames(Path(path), 0, info.total_frames)
    values = compute_fingerprint(samples, info.sample_rate_hz)
    histogram = pack_histogram(loudness_histogram(samples, info.sample_rate_hz))
    return values, time.perf_counter() - started, "python", histogram
