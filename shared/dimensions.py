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


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("sub_bass_pct", "fraction", 0.0, 1.0),
    Dimension("bass_pct", "fraction", 0.0, 1.0),
    Dimension("low_mid_pct", "fraction", 0.0, 1.0),
    Dimension("mid_pct", "fraction", 0.0, 1.0),
    Dimension("upper_mid_pct", "fraction", 0.0, 1.0),
    Dimension("presence_pct", "fraction", 0.0, 1.0),
    Dimension("air_pct", "fraction", 0.0, 1.0),
    Dimension("lufs", "LUFS", -70.0, 0.0),
    Dimension("crest_db", "dB", 0.0, 100.0),
    Dimension("bass_mid_ratio", "dB", -60.0, 60.0),
    Dimension("tempo_bpm", "BPM", 40.0, 240.0),
    Dimension("rhythm_stability", "fraction", 0.0, 1.0),
    Dimension("transient_density", "fraction", 0.0, 1.0),
    Dimension("silence_ratio", "fraction", 0.0, 1.0),
    Dimension("spectral_centroid", "fraction of 11025 Hz", 0.0, 1.0),
    Dimension("spectral_rolloff", "fraction of 11025 Hz", 0.0, 1.0),
    Dimension("spectral_flatness", "fraction", 0.0, 1.0),
    Dimension("harmonic_ratio", "fraction", 0.0, 1.0),
    Dimension("pitch_stability", "fraction", 0.0, 1.0),
    Dimension("chroma_energy", "fraction", 1.0 / 12.0, 1.0),
    Dimension("dynamic_range_variation", "dB", 0.0, 100.0),
    Dimension("loudness_variation_std", "LU", 0.0, 100.0),
    Dimension("peak_consistency", "fraction", 0.0, 1.0),
    Dimension("stereo_width", "fraction", 0.0, 1.0),
    Dimension("phase_correlation", "correlation", -1.0, 1.0),
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
