"""The 25-dimension fingerprint of SPEC §4, computed from decoded samples.

Loudness, peak and stereo dimensions use the native signal; spectral, rhythm and pitch
dimensions use a mono downmix resampled to 22 050 Hz with soxr. HPSS and YIN (18, 19) run on
three evenly spaced 20 s excerpts of tracks longer than 90 s; every other dimension uses the
whole track. docs/fingerprint.md lists the values defined for silence and other edge cases.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import soxr

from auralis_server.audio import loudness
from auralis_server.audio.arrays import Array
from auralis_server.fingerprint.dsp import harmonic, levels, pitch, rhythm, spectral, stereo
from auralis_server.fingerprint.dsp.stft import ANALYSIS_RATE_HZ, HOP, power_spectrogram
from shared.dimensions import DIMENSION_NAMES

ALGORITHM_VERSION = 2
EXCERPT_COUNT = 3
EXCERPT_S = 20.0
EXCERPTS_FROM_S = 90.0


class FingerprintError(ValueError):
    """The samples cannot give a fingerprint (empty, or a value came out non-finite)."""


def analysis_signal(audio: Array, rate_hz: int) -> npt.NDArray[np.float32]:
    """Mono downmix at 22 050 Hz (soxr, high quality)."""
    mono = (audio @ np.full(audio.shape[1], 1.0 / audio.shape[1])).astype(np.float32)
    if rate_hz == ANALYSIS_RATE_HZ:
        return mono
    return np.asarray(
        soxr.resample(mono, rate_hz, ANALYSIS_RATE_HZ, quality="HQ"), dtype=np.float32
    )


def excerpt_spans(length: int, rate_hz: int) -> list[tuple[int, int]]:
    """Sample spans analysed by the heavy dimensions: the whole signal or evenly spaced excerpts."""
    if length <= EXCERPTS_FROM_S * rate_hz:
        return [(0, length)]
    size = int(EXCERPT_S * rate_hz)
    starts = np.linspace(0, length - size, EXCERPT_COUNT + 2)[1:-1].astype(int)
    return [(int(start), int(start) + size) for start in starts]


def _loudness_and_crest(audio: Array, rate_hz: int) -> tuple[dict[str, float], Array]:
    """lufs and crest_db, and the K-weighted squares the other level dimensions reuse."""
    k_squares = loudness.k_weighted_squares(audio, rate_hz)
    weights = loudness.channel_weights(audio.shape[1])
    k_blocks = loudness.window_powers(k_squares, rate_hz, loudness.BLOCK_S, loudness.BLOCK_HOP_S)
    raw_blocks = loudness.window_powers(
        audio * audio, rate_hz, loudness.BLOCK_S, loudness.BLOCK_HOP_S
    )
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(k_blocks @ weights)
    peak = max(float(audio.max()), -float(audio.min()))
    mean_square = float(np.vdot(audio, audio)) / audio.size
    values = {
        "lufs": loudness.gated_loudness(k_blocks, weights),
        "crest_db": levels.crest_db(peak, raw_blocks.mean(axis=1), block_lufs, mean_square),
    }
    return values, k_squares


def level_features(audio: Array, rate_hz: int) -> dict[str, float]:
    """Loudness, crest, silence, level variation and stereo dimensions of the native signal."""
    values, k_squares = _loudness_and_crest(audio, rate_hz)
    values["silence_ratio"] = levels.silence_ratio(audio, rate_hz)
    values["loudness_variation_std"] = levels.loudness_variation(k_squares, rate_hz)
    values.update(levels.per_second_features(audio, rate_hz))
    values.update(stereo.stereo_features(audio))
    return values


def plan_inputs(samples: npt.ArrayLike, rate_hz: int) -> dict[str, float]:
    """Just what a mastering plan reads (lufs, crest_db, the seven bands), by the same code as
    ``compute_fingerprint`` and rounded to float32 as stored, so both paths give one plan."""
    audio = np.asarray(samples, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.size == 0 or rate_hz <= 0:
        raise FingerprintError("no samples to analyse")
    values, _ = _loudness_and_crest(audio, rate_hz)
    values.update(spectral.band_features(power_spectrogram(analysis_signal(audio, rate_hz))))
    return {name: float(np.float32(value)) for name, value in values.items()}


def compute_fingerprint(samples: npt.ArrayLike, rate_hz: int) -> dict[str, float]:
    """All 25 dimensions of (frames, channels) samples, in SPEC order."""
    audio = np.asarray(samples, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.size == 0 or rate_hz <= 0:
        raise FingerprintError("no samples to analyse")
    values = level_features(audio, rate_hz)
    mono = analysis_signal(audio, rate_hz)
    power = power_spectrogram(mono)
    values.update(spectral.band_features(power))
    values.update(spectral.shape_features(power))
    values["chroma_energy"] = spectral.chroma_energy(power)
    values.update(rhythm.rhythm_features(mono.astype(np.float64)))
    spans = excerpt_spans(len(mono), ANALYSIS_RATE_HZ)
    energies = [
        harmonic.harmonic_percussive_energy(
            power[:, start // HOP : max(start // HOP + 1, stop // HOP)]
        )
        for start, stop in spans
    ]
    values["harmonic_ratio"] = harmonic.harmonic_ratio(energies)
    f0 = np.concatenate([pitch.yin(mono[start:stop].astype(np.float64)) for start, stop in spans])
    values["pitch_stability"] = pitch.pitch_stability(f0)
    ordered = {name: float(values[name]) for name in DIMENSION_NAMES}
    bad = [name for name, value in ordered.items() if not math.isfinite(value)]
    if bad:
        raise FingerprintError(f"non-finite values for {', '.join(bad)}")
    return ordered
