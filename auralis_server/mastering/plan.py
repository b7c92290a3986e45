"""The mastering plan: every number the chain uses, decided once per track (SPEC §5).

``make_plan`` is a pure function of (fingerprint, preset, intensity). The Loudness-War
Restraint Principle (LWRP) reads two fingerprint numbers, integrated loudness and crest
factor, and blends three regions with smoothstep weights that ramp over ±1 LU around
−12 LUFS and ±1 dB around a 13 dB crest, so a track near a threshold never flips:

- compressed-loud (loud and crest < 13 dB): no compression, no makeup; transient
  expansion that grows as the crest falls below 13 dB; −0.5 dB trim;
- dynamic-loud (loud and crest ≥ 13 dB): dynamics untouched, preset EQ only;
- quiet (≤ −12 LUFS): preset compression and makeup gain toward the preset's target.

``intensity`` scales the parameters themselves (EQ gains, ratio − 1, expansion, makeup,
trim); intensity 0 is a bypass. Every output then passes a −1 dBTP true-peak limiter; a
ceiling trim, from the peak the fingerprint implies, keeps that limiter from eating the
crest of the loud regions (the quiet region may lean on it for up to 3 dB).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.signal import sosfreqz

from auralis_server.audio.loudness import k_weighting_sos
from auralis_server.mastering.eq import biquad_sos
from shared.presets import PRESETS

PLAN_VERSION = 1
CEILING_DBTP = -1.0
CEILING_MARGIN_DB = 0.5
# Loud tracks keep their crest only if the limiter stays idle, and the peak the plan infers
# from lufs + crest can be a dB or so low: they get this much more headroom.
LOUD_CEILING_MARGIN_DB = 1.5
LOUD_THRESHOLD_LUFS = -12.0
CREST_THRESHOLD_DB = 13.0
BLEND_HALF_WIDTH = 1.0
CORRECTION_LIMIT_DB = 4.0
CORRECTION_STRENGTH = 0.5
# LUFS of a stereo mix is close to its RMS in dBFS + 10·log10(2) − 0.691 for the mid-heavy
# spectrum of most music; the plan uses it to estimate the peak from lufs + crest.
LUFS_TO_RMS_DB = -2.3
QUIET_LIMITING_ALLOWANCE_DB = 3.0
ESTIMATED_TRANSIENT_RISE_DB = 6.0

# Band balance of a reference master, fractions of power per fingerprint band.
REFERENCE_BANDS = {
    "sub_bass_pct": 0.05,
    "bass_pct": 0.30,
    "low_mid_pct": 0.17,
    "mid_pct": 0.27,
    "upper_mid_pct": 0.10,
    "presence_pct": 0.08,
    "air_pct": 0.03,
}
# A representative frequency per fingerprint band, where the EQ's effect on it is read.
BAND_CENTRES_HZ = {
    "sub_bass_pct": 40.0,
    "bass_pct": 120.0,
    "low_mid_pct": 350.0,
    "mid_pct": 1000.0,
    "upper_mid_pct": 2800.0,
    "presence_pct": 5700.0,
    "air_pct": 10000.0,
}
_RESPONSE_RATE_HZ = 48000
# The five EQ bands and the fingerprint bands each one corrects.
EQ_LAYOUT = (
    ("low_shelf", 100.0, 0.707, ("sub_bass_pct", "bass_pct")),
    ("peaking", 350.0, 1.0, ("low_mid_pct",)),
    ("peaking", 1000.0, 0.9, ("mid_pct",)),
    ("peaking", 3000.0, 1.0, ("upper_mid_pct",)),
    ("high_shelf", 8000.0, 0.707, ("presence_pct", "air_pct")),
)


@dataclass(frozen=True)
class EqBand:
    kind: str
    freq_hz: float
    gain_db: float
    q: float


@dataclass(frozen=True)
class Compressor:
    """Quiet region: feed-forward soft-knee compression of a centred moving-average level."""

    threshold_dbfs: float
    ratio: float
    knee_db: float = 6.0
    window_ms: float = 50.0
    hold_ms: float = 60.0
    smoothing_ms: float = 30.0


@dataclass(frozen=True)
class Expander:
    """Compressed-loud region: restores transients by ``amount`` × (fast − slow level) dB."""

    amount: float
    max_db: float = 6.0  # the most any transient is raised
    fast_ms: float = 5.0
    slow_ms: float = 80.0
    smoothing_ms: float = 5.0


@dataclass(frozen=True)
class Limiter:
    """True-peak limiter at ``ceiling_dbtp``, looking ``lookahead_ms`` ahead."""

    ceiling_dbtp: float = CEILING_DBTP
    lookahead_ms: float = 5.0


@dataclass(frozen=True)
class Plan:
    preset: str
    intensity: float
    region: str
    weights: dict[str, float]
    input_lufs: float
    input_crest_db: float
    eq: tuple[EqBand, ...]
    compressor: Compressor | None
    expander: Expander | None
    makeup_db: float
    trim_db: float
    ceiling_trim_db: float
    limiter: Limiter | None
    output_lufs_estimate: float
    version: int = PLAN_VERSION
    hash: str = field(default="", compare=False)

    @property
    def bypass(self) -> bool:
        return self.intensity == 0.0

    @property
    def gain_db(self) -> float:
        """Static gain after dynamics: makeup + trim + ceiling trim."""
        return self.makeup_db + self.trim_db + self.ceiling_trim_db

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _smoothstep(x: float) -> float:
    t = min(1.0, max(0.0, x))
    return t * t * (3.0 - 2.0 * t)


def lwrp_weights(lufs: float, crest_db: float) -> dict[str, float]:
    """Continuous region weights (sum 1)."""
    loud = _smoothstep((lufs - LOUD_THRESHOLD_LUFS + BLEND_HALF_WIDTH) / (2 * BLEND_HALF_WIDTH))
    compressed = 1.0 - _smoothstep(
        (crest_db - CREST_THRESHOLD_DB + BLEND_HALF_WIDTH) / (2 * BLEND_HALF_WIDTH)
    )
    return {
        "compressed_loud": loud * compressed,
        "dynamic_loud": loud * (1.0 - compressed),
        "quiet": 1.0 - loud,
    }


def _correction_db(values: dict[str, float], names: tuple[str, ...]) -> float:
    actual = sum(values[name] for name in names)
    reference = sum(REFERENCE_BANDS[name] for name in names)
    if actual <= 0:
        return 0.0
    raw = CORRECTION_STRENGTH * 10.0 * math.log10(reference / actual)
    return max(-CORRECTION_LIMIT_DB, min(CORRECTION_LIMIT_DB, raw))


def _power_gains(sections: list[Any], rate_hz: int) -> dict[str, float]:
    """|H|² of a cascade at each band's representative frequency."""
    if not sections:
        return dict.fromkeys(BAND_CENTRES_HZ, 1.0)
    freqs = np.array(list(BAND_CENTRES_HZ.values()))
    _, response = sosfreqz(np.array(sections), worN=freqs, fs=rate_hz)
    return dict(zip(BAND_CENTRES_HZ, np.abs(response) ** 2, strict=True))


def eq_level_change_db(bands: dict[str, float], eq: tuple[EqBand, ...]) -> tuple[float, float]:
    """(loudness change in LU, energy change in dB) the EQ makes to a track with this balance."""
    total = sum(bands.values())
    if total <= 0:
        return 0.0, 0.0
    sections = [
        biquad_sos(b.kind, b.freq_hz, b.gain_db, b.q, _RESPONSE_RATE_HZ) for b in eq if b.gain_db
    ]
    gains = _power_gains(sections, _RESPONSE_RATE_HZ)
    k_weights = _power_gains(list(k_weighting_sos(_RESPONSE_RATE_HZ)), _RESPONSE_RATE_HZ)
    weighted = sum(bands[n] * k_weights[n] for n in bands)
    loudness = sum(bands[n] * k_weights[n] * gains[n] for n in bands) / weighted
    energy = sum(bands[n] * gains[n] for n in bands) / total
    return 10.0 * math.log10(loudness), 10.0 * math.log10(energy)


def _r(value: float, digits: int = 2) -> float:
    return round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def make_plan(values: dict[str, float], preset_name: str, intensity: float) -> Plan:
    """The plan for a track with fingerprint ``values`` (only lufs, crest_db and bands are read)."""
    preset = PRESETS[preset_name]
    lufs = _r(values["lufs"])
    crest = _r(values["crest_db"])
    bands = {name: round(float(values[name]), 4) for name in REFERENCE_BANDS}
    weights = lwrp_weights(lufs, crest)
    w_comp, w_dyn, w_quiet = weights["compressed_loud"], weights["dynamic_loud"], weights["quiet"]

    # dynamic-loud tracks get the preset's own EQ only, no adaptive correction
    correction_weight = 1.0 - w_dyn
    full_eq = tuple(
        EqBand(kind, freq, tilt + correction_weight * _correction_db(bands, names), q)
        for (kind, freq, q, names), tilt in zip(EQ_LAYOUT, preset.eq_tilt_db, strict=True)
    )
    eq = tuple(EqBand(b.kind, b.freq_hz, _r(intensity * b.gain_db), b.q) for b in full_eq)
    est_rms = lufs + LUFS_TO_RMS_DB
    ratio = 1.0 + (preset.ratio - 1.0) * intensity * w_quiet
    compressor = (
        Compressor(_r(est_rms + preset.threshold_over_rms_db), _r(ratio, 3))
        if ratio > 1.0005
        else None
    )
    severity = min(1.0, max(0.0, (CREST_THRESHOLD_DB - crest) / 5.0))
    amount = intensity * (
        w_comp * preset.expansion * severity + w_quiet * preset.transient_emphasis
    )
    expander = Expander(_r(amount, 3)) if amount > 0.0005 else None
    eq_loudness, eq_energy = eq_level_change_db(bands, eq)
    full_eq_loudness, _ = eq_level_change_db(bands, full_eq)
    makeup = intensity * w_quiet * max(0.0, preset.target_lufs - (lufs + full_eq_loudness))
    # −0.5 dB on compressed-loud tracks, and a loud track is never made louder by the EQ.
    trim = -0.5 * intensity * w_comp - max(0.0, eq_loudness) * (w_comp + w_dyn)
    transient_rise = (
        min(expander.max_db, expander.amount * ESTIMATED_TRANSIENT_RISE_DB) if expander else 0.0
    )
    peak_out = est_rms + crest + eq_energy + transient_rise + makeup + trim
    allowance = QUIET_LIMITING_ALLOWANCE_DB * w_quiet
    margin = CEILING_MARGIN_DB + LOUD_CEILING_MARGIN_DB * (w_comp + w_dyn)
    ceiling_trim = min(0.0, CEILING_DBTP - margin + allowance - peak_out)
    region = max(weights, key=lambda name: weights[name])
    plan = Plan(
        preset=preset_name,
        intensity=_r(intensity, 3),
        region=region,
        weights={name: _r(weight, 4) for name, weight in weights.items()},
        input_lufs=lufs,
        input_crest_db=crest,
        eq=eq,
        compressor=compressor,
        expander=expander,
        makeup_db=_r(makeup),
        trim_db=_r(trim),
        ceiling_trim_db=_r(ceiling_trim),
        limiter=Limiter(),
        output_lufs_estimate=_r(lufs + eq_loudness + makeup + trim + ceiling_trim),
    )
    if intensity == 0.0:
        plan = Plan(
            preset_name,
            0.0,
            region,
            plan.weights,
            lufs,
            crest,
            (),
            None,
            None,
            0.0,
            0.0,
            0.0,
            None,
            lufs,
        )
    return _with_hash(plan)


def _with_hash(plan: Plan) -> Plan:
    body = json.dumps({**plan.as_dict(), "hash": ""}, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return Plan(**{**plan.__dict__, "hash": digest})
