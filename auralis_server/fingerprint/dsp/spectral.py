"""Spectral dimensions (1–7, 10, 15–17, 20) from the 22 050 Hz Hann power spectrogram."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from auralis_server.audio.arrays import Array, Array32
from auralis_server.fingerprint.dsp.stft import ANALYSIS_RATE_HZ, bin_frequencies_hz

NYQUIST_HZ = ANALYSIS_RATE_HZ / 2
BAND_EDGES_HZ = (20.0, 60.0, 250.0, 500.0, 2000.0, 4000.0, 8000.0, NYQUIST_HZ + 1.0)
BAND_NAMES = (
    "sub_bass_pct",
    "bass_pct",
    "low_mid_pct",
    "mid_pct",
    "upper_mid_pct",
    "presence_pct",
    "air_pct",
)
FLATNESS_FLOOR = 1e-10
ROLLOFF_FRACTION = 0.85
BASS_MID_LIMIT_DB = 60.0
CHROMA_RANGE_HZ = (55.0, 5000.0)


def _band_power(mean_power: Array, freqs: Array, low_hz: float, high_hz: float) -> float:
    return float(mean_power[(freqs >= low_hz) & (freqs < high_hz)].sum())


def band_features(power: Array32) -> dict[str, float]:
    """Band fractions of the whole-track average spectrum, and bass/mid ratio in dB.

    Digital silence has no spectrum: every band reads 0 and the ratio 0 dB.
    """
    freqs = bin_frequencies_hz((power.shape[0] - 1) * 2)
    mean_power = power.mean(axis=1, dtype=np.float64)
    bands = [_band_power(mean_power, freqs, lo, hi) for lo, hi in itertools.pairwise(BAND_EDGES_HZ)]
    total = sum(bands)
    values = {
        name: (band / total if total > 0 else 0.0)
        for name, band in zip(BAND_NAMES, bands, strict=True)
    }
    bass = _band_power(mean_power, freqs, 20.0, 250.0)
    mid = _band_power(mean_power, freqs, 250.0, 2000.0)
    if bass > 0 and mid > 0:
        ratio_db = float(np.clip(10 * np.log10(bass / mid), -BASS_MID_LIMIT_DB, BASS_MID_LIMIT_DB))
    elif bass > 0 or mid > 0:
        ratio_db = BASS_MID_LIMIT_DB if bass > 0 else -BASS_MID_LIMIT_DB
    else:
        ratio_db = 0.0
    values["bass_mid_ratio"] = ratio_db
    return values


def audible_frames(power: Array32) -> npt.NDArray[np.bool_]:
    """Frames with any energy above the flatness floor: digital silence has no shape."""
    return power.mean(axis=0) > FLATNESS_FLOOR


def shape_features(power: Array32) -> dict[str, float]:
    """Mean centroid, 85 % rolloff (both / 11 025 Hz) and flatness over audible frames."""
    audible = audible_frames(power)
    if not audible.any():
        return {"spectral_centroid": 0.0, "spectral_rolloff": 0.0, "spectral_flatness": 0.0}
    frames = power[:, audible].astype(np.float64)
    freqs = bin_frequencies_hz((power.shape[0] - 1) * 2)
    totals = frames.sum(axis=0)
    centroid_hz = (freqs @ frames) / totals
    cumulative = np.cumsum(frames, axis=0)
    rolloff_bin = np.argmax(cumulative >= ROLLOFF_FRACTION * totals, axis=0)
    floored = np.maximum(frames, FLATNESS_FLOOR)
    flatness = np.exp(np.log(floored).mean(axis=0)) / floored.mean(axis=0)
    return {
        "spectral_centroid": float(centroid_hz.mean() / NYQUIST_HZ),
        "spectral_rolloff": float(freqs[rolloff_bin].mean() / NYQUIST_HZ),
        "spectral_flatness": float(flatness.mean()),
    }


def chroma_energy(power: Array32) -> float:
    """Mean over audible frames of Σc² of the L1-normalised 12-bin chroma (1/12 for silence)."""
    freqs = bin_frequencies_hz((power.shape[0] - 1) * 2)
    in_range = (freqs >= CHROMA_RANGE_HZ[0]) & (freqs <= CHROMA_RANGE_HZ[1])
    pitch_class = np.round(12 * np.log2(freqs[in_range] / 440.0) + 69).astype(int) % 12
    mapping = np.zeros((12, int(in_range.sum())))
    mapping[pitch_class, np.arange(len(pitch_class))] = 1.0
    chroma = mapping @ power[in_range].astype(np.float64)
    totals = chroma.sum(axis=0)
    audible = totals > FLATNESS_FLOOR * in_range.sum()
    if not audible.any():
        return 1.0 / 12.0
    normalised = chroma[:, audible] / totals[audible]
    return float((normalised**2).sum(axis=0).mean())
