"""Pitch stability (19): YIN f0 over voiced frames (de Cheveigné & Kawahara 2002)."""

from __future__ import annotations

import numpy as np

from auralis_server.audio.arrays import Array
from auralis_server.fingerprint.dsp.stft import ANALYSIS_RATE_HZ, frames_of

FMIN_HZ, FMAX_HZ = 65.4, 2093.0
FRAME, HOP = 2048, 512
THRESHOLD = 0.1
MIN_VOICED_FRAMES = 10
_BLOCK = 512


def _cmndf(frames: Array, tau_max: int) -> Array:
    """Cumulative mean normalised difference d'(τ), τ = 0..tau_max, for each frame (YIN eq. 8)."""
    window = frames.shape[1] - tau_max
    n_fft = 1 << int(np.ceil(np.log2(frames.shape[1] + window)))
    head = np.fft.rfft(frames[:, :window], n_fft, axis=1)
    whole = np.fft.rfft(frames, n_fft, axis=1)
    cross = np.fft.irfft(np.conj(head) * whole, n_fft, axis=1)[:, : tau_max + 1]
    squares = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(tau_max + 1)
    energy_0 = squares[:, window][:, None]
    energy_tau = squares[:, lags + window] - squares[:, lags]
    difference = np.maximum(energy_0 + energy_tau - 2.0 * cross, 0.0)
    difference[:, 0] = 0.0
    running = np.cumsum(difference[:, 1:], axis=1)
    normalised = np.ones_like(difference)
    valid = running > 1e-12 * (energy_0 + 1e-30)
    normalised[:, 1:] = np.where(
        valid, difference[:, 1:] * lags[1:] / np.where(valid, running, 1.0), 1.0
    )
    return normalised


def yin(mono: Array, rate_hz: int = ANALYSIS_RATE_HZ) -> Array:
    """f0 in Hz of each voiced frame (unvoiced frames are left out)."""
    tau_min = int(np.floor(rate_hz / FMAX_HZ))
    tau_max = int(np.ceil(rate_hz / FMIN_HZ))
    all_frames = frames_of(np.asarray(mono, dtype=np.float64), FRAME, HOP)
    found: list[Array] = []
    for start in range(0, len(all_frames), _BLOCK):
        cmndf = _cmndf(np.asarray(all_frames[start : start + _BLOCK]), tau_max)
        below = cmndf[:, tau_min : tau_max + 1] < THRESHOLD
        voiced = below.any(axis=1)
        tau = tau_min + np.argmax(below, axis=1)
        rows = np.flatnonzero(voiced)
        tau = tau[voiced]
        for _ in range(tau_max):  # walk down to the local minimum below the threshold
            step = (tau < tau_max) & (cmndf[rows, np.minimum(tau + 1, tau_max)] < cmndf[rows, tau])
            if not step.any():
                break
            tau = tau + step
        left = cmndf[rows, np.maximum(tau - 1, 0)]
        centre = cmndf[rows, tau]
        right = cmndf[rows, np.minimum(tau + 1, tau_max)]
        curvature = left - 2 * centre + right
        offset = np.where(
            curvature > 0, 0.5 * (left - right) / np.where(curvature > 0, curvature, 1.0), 0.0
        )
        found.append(rate_hz / (tau + np.clip(offset, -0.5, 0.5)))
    return np.concatenate(found) if found else np.zeros(0)


def pitch_stability(f0_hz: Array) -> float:
    """1 / (1 + std of f0 in semitones); 0 with fewer than 10 voiced frames."""
    if len(f0_hz) < MIN_VOICED_FRAMES:
        return 0.0
    semitones = 12.0 * np.log2(f0_hz / 440.0)
    return float(1.0 / (1.0 + semitones.std()))
