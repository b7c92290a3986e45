"""The 25 fingerprint dimensions of SPEC §4, in their fixed wire/DB/proto order."""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    name: str
    unit: str
    low: float
    high: float


# SPEC §4 order. Every dimension is a fraction in [0, 1] unless _SCALES says otherwise.
_ORDER = """
    sub_bass_pct bass_pct low_mid_pct mid_pct upper_mid_pct presence_pct air_pct
    lufs crest_db bass_mid_ratio tempo_bpm rhythm_stability transient_density silence_ratio
    spectral_centroid spectral_rolloff spectral_flatness harmonic_ratio pitch_stability
    chroma_energy dynamic_range_variation loudness_variation_std peak_consistency
    stereo_width phase_correlation
"""
_NYQUIST_FRACTION = ("fraction of 11025 Hz", 0.0, 1.0)
_SCALES: dict[str, tuple[str, float, float]] = {
    "lufs": ("LUFS", -70.0, 0.0), "crest_db": ("dB", 0.0, 100.0),
    "bass_mid_ratio": ("dB", -60.0, 60.0), "tempo_bpm": ("BPM", 40.0, 240.0),
    "spectral_centroid": _NYQUIST_FRACTION, "spectral_rolloff": _NYQUIST_FRACTION,
    "chroma_energy": ("fraction", 1.0 / 12.0, 1.0),  # flat chroma: 1/12 per pitch class
    "dynamic_range_variation": ("dB", 0.0, 100.0), "loudness_variation_std": ("LU", 0.0, 100.0),
    "phase_correlation": ("correlation", -1.0, 1.0),
}  # fmt: skip

DIMENSIONS: tuple[Dimension, ...] = tuple(
    Dimension(name, *_SCALES.get(name, ("fraction", 0.0, 1.0))) for name in _ORDER.split()
)

DIMENSION_NAMES: tuple[str, ...] = tuple(d.name for d in DIMENSIONS)
DIMENSION_COUNT = len(DIMENSIONS)
assert DIMENSION_COUNT == 25

_VECTOR_BYTES = 4 * DIMENSION_COUNT


def unpack_vector(blob: bytes) -> dict[str, float]:
    """The stored vector (25 float32 LE, table order) as named values."""
    if len(blob) != _VECTOR_BYTES:
        raise ValueError(f"fingerprint vector must be {_VECTOR_BYTES} bytes, got {len(blob)}")
    return dict(zip(DIMENSION_NAMES, struct.unpack(f"<{DIMENSION_COUNT}f", blob), strict=True))


def pack_vector(values: dict[str, float]) -> bytes:
    return struct.pack(f"<{DIMENSION_COUNT}f", *(float(values[name]) for name in DIMENSION_NAMES))
