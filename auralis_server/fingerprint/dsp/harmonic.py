"""Harmonic ratio (18): HPSS by median filtering with soft masks (Fitzgerald 2010)."""

from __future__ import annotations

import numpy as np

from auralis_server.audio.arrays import Array32
from auralis_server.fingerprint.dsp.median import sliding_median

KERNEL = 31
MASK_POWER = 2


def harmonic_percussive_energy(power: Array32) -> tuple[float, float]:
    """(E_harmonic, E_percussive) of a (bins, frames) power spectrogram.

    Medians of power equal squared medians of magnitude, so the soft masks
    M_h = H^p / (H^p + P^p) on magnitudes are (H_pow)^(p/2) / (…) here; the components are
    M·|S| and their energies Σ M²·|S|².
    """
    harmonic = sliding_median(power, KERNEL, axis=1).astype(np.float64)
    percussive = sliding_median(power, KERNEL, axis=0).astype(np.float64)
    h = harmonic ** (MASK_POWER / 2)
    p = percussive ** (MASK_POWER / 2)
    total = h + p
    safe = np.where(total > 0, total, 1.0)
    mask_h = np.where(total > 0, h / safe, 0.5)
    mask_p = 1.0 - mask_h
    return float((mask_h**2 * power).sum()), float((mask_p**2 * power).sum())


def harmonic_ratio(energies: list[tuple[float, float]]) -> float:
    """E_h / (E_h + E_p) summed over excerpts; 0 for silence."""
    harmonic = sum(h for h, _ in energies)
    percussive = sum(p for _, p in energies)
    return harmonic / (harmonic + percussive) if harmonic + percussive > 0 else 0.0
