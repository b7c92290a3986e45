"""The EQ: RBJ Audio-EQ-Cookbook biquads (R. Bristow-Johnson) as scipy second-order sections,
where a track's band balance lies against what mastered music measures, and the correction
``adaptive`` makes toward it (docs/mastering.md, "The EQ's reference").

The reference is the per-band median of 34 released game-soundtrack masters
(``REFERENCE_BANDS``, re-derived by ``scripts/measure_band_balance.py``), checked against the
published average tilt of commercial masters (``PUBLISHED_BANDS``), 9 dB brighter above
4 kHz. ``adaptive`` corrects toward the measured one (``correction_gains_db``; presets add
their tilt on top); ``preset=auto`` reads a track's distance from the span between the two
(``group_deviations_db``). ``model_spectrum`` is what the plan knows of a track's spectrum
from its seven band fractions, for the EQ's effect on loudness, energy and peaks."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import lsq_linear
from scipy.signal import sosfreqz

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


# --- the track's spectrum as the plan sees it, and the correction toward the reference -------

# Where the model spectrum is read: log-spaced, so every band has points in proportion to its
# octaves; 11 025 Hz is as high as the fingerprint sees.
MODEL_GRID_HZ = np.geomspace(BAND_EDGES_HZ[0], BAND_EDGES_HZ[-1], 600)
_MODEL_MASKS = [
    (MODEL_GRID_HZ >= low) & (MODEL_GRID_HZ < high)
    for low, high in itertools.pairwise(BAND_EDGES_HZ)
]
_LOG_CENTRES = np.log([math.sqrt(lo * hi) for lo, hi in itertools.pairwise(BAND_EDGES_HZ)])
# The shape of mastered music's spectrum inside the bands: power per third octave (dB, loudest
# 0) from 20 Hz to 10 kHz, the per-band median over the same 34 tracks as REFERENCE_BANDS
# (``scripts/measure_band_balance.py`` prints it). It rises 30 dB from 20 to 60 Hz, is flat to
# 500 Hz and falls about 4 dB per octave above.
THIRD_OCTAVE_CENTRES_HZ = 1000.0 * 2.0 ** (np.arange(-17, 11) / 3.0)
REFERENCE_THIRD_OCTAVES_DB = (
    -34.3,
    -31.6,
    -26.8,
    -19.1,
    -9.6,
    -5.1,
    -6.1,
    -6.2,
    -5.6,
    -5.9,
    -3.6,
    -4.4,
    -4.4,
    -3.4,
    -4.7,
    -6.2,
    -8.3,
    -9.1,
    -9.6,
    -10.1,
    -12.0,
    -14.4,
    -15.7,
    -19.1,
    -21.4,
    -22.9,
    -24.0,
    -28.7,
)
_FIT_ROUNDS = 12
_FLOOR_FRACTION = 1e-7


def _per_band(density: Array, fractions: Array) -> Array:
    """``density`` rescaled so each band holds exactly its fraction."""
    out = density.copy()
    for mask, fraction in zip(_MODEL_MASKS, fractions, strict=True):
        out[mask] *= fraction / density[mask].sum()
    return out


def _fractions(bands: dict[str, float]) -> Array:
    return np.maximum([bands[name] for name in REFERENCE_BANDS], _FLOOR_FRACTION)


_REFERENCE_SHAPE = _per_band(
    10.0
    ** (
        np.interp(
            np.log(MODEL_GRID_HZ), np.log(THIRD_OCTAVE_CENTRES_HZ), REFERENCE_THIRD_OCTAVES_DB
        )
        / 10.0
    ),
    _fractions(REFERENCE_BANDS),
)


def model_spectrum(bands: dict[str, float]) -> Array:
    """Power per point of ``MODEL_GRID_HZ`` for a track with these band fractions.

    The fingerprint keeps seven numbers, yet an EQ's effect depends on where inside a band the
    power sits (a shelf moves a 60–250 Hz band dominated by 70 Hz more than one dominated by
    200 Hz). The model is mastered music's own spectrum (``REFERENCE_THIRD_OCTAVES_DB``)
    tilted by the track's difference from the reference, that difference log-log linear
    between band centres and adjusted until each band holds exactly its fraction. On 31
    real excerpts under the presets' EQs it predicts the EQ's loudness change within 0.13 LU
    median (0.15 LU for a plain log-log interpolation of the bands, 0.25 LU for reading each
    band at one frequency).
    """
    fractions = _fractions(bands)
    log_grid = np.log(MODEL_GRID_HZ)
    tilt = np.log(fractions / _fractions(REFERENCE_BANDS))
    for _ in range(_FIT_ROUNDS):
        density = _REFERENCE_SHAPE * np.exp(np.interp(log_grid, _LOG_CENTRES, tilt))
        held = np.array([density[mask].sum() for mask in _MODEL_MASKS])
        tilt = tilt + np.log(fractions / held)
    return _per_band(_REFERENCE_SHAPE * np.exp(np.interp(log_grid, _LOG_CENTRES, tilt)), fractions)


# The five EQ bands: (kind, frequency, Q, the fingerprint bands each one corrects). The shelves
# turn over just above the low group (20–250 Hz) and just below the high group (4–11 kHz),
# so each moves its whole group; the peaks span their bands (Q 0.7–0.8).
EQ_LAYOUT: tuple[tuple[str, float, float, tuple[str, ...]], ...] = (
    ("low_shelf", 300.0, 0.707, ("sub_bass_pct", "bass_pct")),
    ("peaking", 350.0, 0.8, ("low_mid_pct",)),
    ("peaking", 1000.0, 0.72, ("mid_pct",)),
    ("peaking", 2800.0, 0.8, ("upper_mid_pct",)),
    ("high_shelf", 3500.0, 0.707, ("presence_pct", "air_pct")),
)
EQ_GROUPS = tuple(names for *_, names in EQ_LAYOUT)
# How ``adaptive`` corrects (docs/mastering.md, "The EQ's reference"): each group outside its
# tolerance is moved this fraction of the way back to the tolerance's edge.
CORRECTION_STRENGTH = 0.85
# How far around the reference a group may lie and count as balanced (dB): the low and high
# groups carry the tonal balance and are corrected from the first dB; the inner groups follow
# the arrangement (a soundtrack without a lead instrument lacks upper mids) and get 3 dB.
TOLERANCE_DB = np.array([0.0, 3.0, 3.0, 3.0, 0.0])
# The most a correction cuts and boosts, per filter (dB). A boost lifts whatever a thin band
# holds, where in the band the fingerprint cannot say, so the level model's loudness estimate
# errs most there (up to 0.7 LU at +8 dB against 0.3 LU at −8 dB on real tracks): the
# shelves cut up to 10 dB but boost up to 7 dB.
CORRECTION_CUT_LIMIT_DB = np.array([10.0, 6.0, 6.0, 6.0, 10.0])
CORRECTION_BOOST_LIMIT_DB = np.array([8.0, 6.0, 6.0, 6.0, 8.0])
# Groups inside their tolerance still count, a tenth as much, so a shelf's spill into them is
# held back a little but never fought with large opposite gains.
IN_TOLERANCE_WEIGHT = 0.1
# What a dB² of gain costs in the solve, in dB² of fit: little for the filters of groups being
# corrected (smaller gains where the fit is nearly as good), much for the others.
ACTIVE_RIDGE = 0.05
IDLE_RIDGE = 1.0
_PROBE_DB = 6.0  # the gain at which each filter's effect per dB is read
MODEL_RATE_HZ = 48000


def power_response(
    sections: Sequence[Array], rate_hz: int = MODEL_RATE_HZ, freqs_hz: Array = MODEL_GRID_HZ
) -> Array:
    """|H|² of a cascade at ``freqs_hz`` (1 for no sections)."""
    if not sections:
        return np.ones_like(freqs_hz)
    _, response = sosfreqz(np.array(sections), worN=freqs_hz, fs=rate_hz)
    return np.abs(response) ** 2


def _group_masks() -> list[Array]:
    by_band = dict(zip(REFERENCE_BANDS, _MODEL_MASKS, strict=True))
    return [np.logical_or.reduce([by_band[name] for name in group]) for group in EQ_GROUPS]


_GROUP_MASKS = _group_masks()
_PROBES = [
    power_response([biquad_sos(kind, freq, _PROBE_DB, q, MODEL_RATE_HZ)])
    for kind, freq, q, _ in EQ_LAYOUT
]


def group_levels_db(spectrum: Array) -> Array:
    """Each EQ group's power (dB) in a model spectrum."""
    return np.array([10.0 * math.log10(max(spectrum[m].sum(), 1e-30)) for m in _GROUP_MASKS])


def reference_deviations_db(bands: dict[str, float]) -> Array:
    """Each EQ group's level (dB) against the measured reference, relative to the median of
    the three inner groups — which neither a dull top nor a thin low end moves, so such a tilt
    reads in full on its own group."""
    shares = np.array([sum(bands[name] for name in group) for group in EQ_GROUPS])
    reference = np.array([sum(REFERENCE_BANDS[name] for name in group) for group in EQ_GROUPS])
    levels = 10.0 * np.log10(np.maximum(shares, 1e-12) / reference)
    return levels - np.median(levels[1:-1])


def at_limit(gains_db: Sequence[float]) -> bool:
    """Whether any filter of a correction sits at its cut or boost limit."""
    gains = np.asarray(gains_db)
    return bool(
        (
            (gains <= -CORRECTION_CUT_LIMIT_DB + 0.01) | (gains >= CORRECTION_BOOST_LIMIT_DB - 0.01)
        ).any()
    )


def correction_gains_db(
    bands: dict[str, float], strength: float = CORRECTION_STRENGTH
) -> tuple[float, ...]:
    """The five filter gains (dB) that move each group outside its tolerance ``strength`` of
    the way back.

    Filters overlap, and a shelf moves a group as much as the track's power sits under its
    slope, so the gains come from a bounded least-squares solve over how much each filter
    moves each group of this track's model spectrum, per dB. Groups inside their tolerance
    count a tenth as much, and their own filters cost 20 times more gain, so they may help a
    neighbour a little but are not recruited when its filter is at its limit. Silence gets
    no correction.
    """
    if sum(bands.values()) <= 0:
        return (0.0,) * len(EQ_LAYOUT)
    deviations = reference_deviations_db(bands)
    beyond = np.sign(deviations) * np.maximum(0.0, np.abs(deviations) - TOLERANCE_DB)
    if not beyond.any():
        return (0.0,) * len(EQ_LAYOUT)
    spectrum = model_spectrum(bands)
    base = group_levels_db(spectrum)
    per_db = np.column_stack(
        [(group_levels_db(spectrum * probe) - base) / _PROBE_DB for probe in _PROBES]
    )
    active = beyond != 0.0
    weights = np.where(active, 1.0, IN_TOLERANCE_WEIGHT)
    ridge = np.where(active, ACTIVE_RIDGE, IDLE_RIDGE)
    design = np.vstack([weights[:, None] * per_db, np.diag(np.sqrt(ridge))])
    target = np.concatenate([weights * -strength * beyond, np.zeros(len(EQ_LAYOUT))])
    bounds = (-CORRECTION_CUT_LIMIT_DB, CORRECTION_BOOST_LIMIT_DB)
    return tuple(float(gain) for gain in lsq_linear(design, target, bounds=bounds).x)
