"""The EQ: RBJ Audio-EQ-Cookbook biquads (R. Bristow-Johnson) as scipy second-order sections,
and where a track's band balance lies against what mastered music measures.

The reference (docs/mastering.md, "The EQ's reference") is a span per band group between two
balances — the per-band median of 34 released game-soundtrack masters (``REFERENCE_BANDS``,
re-derived by ``scripts/measure_band_balance.py``) and the published average tilt of
commercial masters (``PUBLISHED_BANDS``), 9 dB brighter above 4 kHz. ``preset=auto`` reads a
track's distance from it; ``adaptive`` does not correct toward it yet (plan.py says why).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from auralis_server.audio.arrays import Array


def biquad_sos(kind: str, freq_hz: float, gain_db: float, q: float, rate_hz: int) -> Array:
    """One section [b0, b1, b2, 1, a1, a2] for ``low_shelf``, ``peaking`` or ``high_shelf``."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * min(freq_hz, 0.49 * rate_hz) / rate_hz
    cos_w0, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    if kind == "peaking":
        b = [1 + alpha * a, -2 * cos_w0, 1 - alpha * a]
        den = [1 + alpha / a, -2 * cos_w0, 1 - alpha / a]
    elif kind in ("low_shelf", "high_shelf"):
        sign = 1.0 if kind == "low_shelf" else -1.0
        root = 2.0 * math.sqrt(a) * alpha
        b = [
            a * ((a + 1) - sign * (a - 1) * cos_w0 + root),
            sign * 2 * a * ((a - 1) - sign * (a + 1) * cos_w0),
            a * ((a + 1) - sign * (a - 1) * cos_w0 - root),
        ]
        den = [
            (a + 1) + sign * (a - 1) * cos_w0 + root,
            -sign * 2 * ((a - 1) + sign * (a + 1) * cos_w0),
            (a + 1) + sign * (a - 1) * cos_w0 - root,
        ]
    else:
        raise ValueError(f"unknown biquad kind {kind!r}")
    return np.array(
        [b[0] / den[0], b[1] / den[0], b[2] / den[0], 1.0, den[1] / den[0], den[2] / den[0]]
    )


# Band balance of mastered music, fractions of power per fingerprint band: the per-band median
# over the whole tracks of drascula-music (31) and asc-music (3), normalised (see the docs).
REFERENCE_BANDS = {
    "sub_bass_pct": 0.0594,
    "bass_pct": 0.4774,
    "low_mid_pct": 0.2472,
    "mid_pct": 0.1897,
    "upper_mid_pct": 0.0212,
    "presence_pct": 0.0044,
    "air_pct": 0.0008,
}
# The fingerprint's band edges (fingerprint/dsp/spectral.py; its analysis rate is 22 050 Hz).
BAND_EDGES_HZ = (20.0, 60.0, 250.0, 500.0, 2000.0, 4000.0, 8000.0, 11025.0)
# Commercial masters' long-term power density falls about 4.5 dB per octave (the slope
# spectrum analysers tilt their display by): the published-tilt balance.
PUBLISHED_TILT_DB_PER_OCTAVE = -4.5
TILT_KNEE_HZ = 100.0
_GRID_HZ = np.geomspace(BAND_EDGES_HZ[0], BAND_EDGES_HZ[-1], 4000)


def _tilt_density(tilt_db_per_octave: float, knee_hz: float) -> Array:
    """Power per grid step of a spectrum flat below ``knee_hz`` and tilted above it."""
    density_db = tilt_db_per_octave * np.log2(np.maximum(_GRID_HZ, knee_hz) / knee_hz)
    return 10.0 ** (density_db / 10.0) * np.gradient(_GRID_HZ)


def _band_masks(names: Sequence[str]) -> list[Array]:
    """Grid points inside each of ``names`` (fingerprint bands, in REFERENCE_BANDS order)."""
    edges = dict(zip(REFERENCE_BANDS, itertools.pairwise(BAND_EDGES_HZ), strict=True))
    return [(_GRID_HZ >= edges[name][0]) & (_GRID_HZ < edges[name][1]) for name in names]


def tilt_reference_bands(
    tilt_db_per_octave: float = PUBLISHED_TILT_DB_PER_OCTAVE, knee_hz: float = TILT_KNEE_HZ
) -> dict[str, float]:
    """Band fractions of the published average tilt (for comparison with the measured one)."""
    density = _tilt_density(tilt_db_per_octave, knee_hz)
    powers = [float(density[mask].sum()) for mask in _band_masks(list(REFERENCE_BANDS))]
    return {name: power / sum(powers) for name, power in zip(REFERENCE_BANDS, powers, strict=True)}


PUBLISHED_BANDS = tilt_reference_bands()


def group_deviations_db(bands: dict[str, float], groups: Sequence[Sequence[str]]) -> list[float]:
    """How far (dB) each group of fingerprint bands lies outside the reference span: 0 inside,
    negative below, nan for an empty group.

    Shares are relative, so each group's level against a reference is taken from the median
    group's (a track thinned below 200 Hz reads as "the low end 4 dB down", not as "the low
    end 2 dB down and everything else 2 dB up"). A group is inside the span when it lies
    between its levels against the two references, else the nearer one counts.
    """
    shares = [sum(bands[name] for name in group) for group in groups]
    against: list[Array] = []
    for reference in (REFERENCE_BANDS, PUBLISHED_BANDS):
        with np.errstate(divide="ignore"):
            levels = np.array(
                [
                    10.0 * math.log10(share / sum(reference[name] for name in group))
                    if share > 0
                    else math.nan
                    for share, group in zip(shares, groups, strict=True)
                ]
            )
        if np.isnan(levels).all():
            return [math.nan] * len(groups)
        against.append(levels - np.nanmedian(levels))
    return [
        math.nan if math.isnan(a) else 0.0 if a * b <= 0 else (a if abs(a) < abs(b) else b)
        for a, b in zip(*against, strict=True)
    ]
