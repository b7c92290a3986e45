"""A track's level profile: what the level stage needs to know of its audio beyond the
fingerprint, measured once from the whole track and stored with the fingerprint.

The fingerprint's seven band fractions and crest factor left the plan guessing how an EQ
moves loudness (where inside a band the power sits) and how much a compressor takes (how
the level moves); on whole drascula tracks those guesses put the output estimate up to
1.5 LU off. The profile holds the distributions those effects are expectations over:

- ``band_energy``: energy per third octave from 20 Hz (channels summed, in power·seconds),
  so an EQ's loudness and energy change is its K-weighted power response averaged over the
  track's own spectrum;
- ``level_energy``: K-weighted energy per 0.25 dB bin of the compressor detector's held
  level (``blocks``: the 50 ms mean power, then the largest over the 60 ms hold, in dBFS),
  so the compressor's loudness change is the expectation of its gain over the blocks that
  carry the loudness;
- ``level_seconds``: how long the track spends in each of those bins, so the relative
  gate of BS.1770 can be applied to each bin's mean power after the compressor (a
  compressor that brings loud passages near quiet ones lets the gate count the quiet ones);
- ``level_peak``: the largest sample peak (linear) of the blocks in each of those bins, so
  the plan knows how far the compressor lowers the peaks: a peak in a loud passage comes
  down with it, one standing out of a quiet passage does not;
- ``rise_energy``: the same energy per 0.25 dB bin of how far the expander's fast (5 ms)
  level stands over its slow (80 ms) one, for the expander's loudness change likewise.

All but the peaks are energies, so an album's profile is the sum of its tracks' (the peaks'
maximum). Packed as float32 with a format tag; anything else unpacks to None and is measured
again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import fft
from scipy.ndimage import maximum_filter1d
from scipy.signal import sosfilt

from auralis_server.audio.arrays import Array
from auralis_server.audio.loudness import k_weighting_sos
from auralis_server.mastering.blocks import (
    BLOCK_FRAMES,
    block_power,
    moving_mean,
    power_db,
    window_blocks,
)
from auralis_server.mastering.level import soft_knee_reduction_db

# The compressor's detector (plan.Compressor uses these): its level window and gain hold.
COMPRESSOR_WINDOW_MS = 50.0
COMPRESSOR_HOLD_MS = 60.0
# The expander's detectors (plan.Expander uses these): fast and slow level windows.
EXPANDER_FAST_MS = 5.0
EXPANDER_SLOW_MS = 80.0
BAND_EDGES_HZ = 20.0 * 2.0 ** (np.arange(31) / 3.0)  # 30 third octaves, 20 Hz … 20.5 kHz
BAND_CENTRES_HZ = np.sqrt(BAND_EDGES_HZ[:-1] * BAND_EDGES_HZ[1:])
LEVEL_LOW_DBFS, LEVEL_STEP_DB, LEVEL_BINS = -120.0, 0.25, 520  # −120 … +10 dBFS
LEVEL_CENTRES_DBFS = LEVEL_LOW_DBFS + (np.arange(LEVEL_BINS) + 0.5) * LEVEL_STEP_DB
RISE_LOW_DB, RISE_BINS = -40.0, 320  # −40 … +40 dB, in LEVEL_STEP_DB bins
RISE_CENTRES_DB = RISE_LOW_DB + (np.arange(RISE_BINS) + 0.5) * LEVEL_STEP_DB
SPECTRUM_FRAMES = 8192  # 5.4 Hz resolution at 44.1 kHz: one bin in the lowest third octave
_TAG = b"ALP1"
_SIZES = (len(BAND_CENTRES_HZ), LEVEL_BINS, LEVEL_BINS, LEVEL_BINS, RISE_BINS)
_LUFS_OFFSET_DB = -0.691
_ABSOLUTE_GATE_LUFS, _RELATIVE_GATE_LU = -70.0, -10.0
_PACKED_BYTES = len(_TAG) + 4 * sum(_SIZES)


@dataclass(frozen=True, eq=False)
class LevelProfile:
    band_energy: Array  # power·s per third octave (BAND_EDGES_HZ), channels summed
    level_energy: Array  # K-weighted power·s (channels summed) per held-level bin
    level_seconds: Array  # seconds per held-level bin (LEVEL_CENTRES_DBFS)
    level_peak: Array  # the largest sample peak (linear) per held-level bin
    rise_energy: Array  # K-weighted power·s per fast-over-slow bin (RISE_CENTRES_DB)

    def _arrays(self) -> tuple[Array, ...]:
        return (
            self.band_energy,
            self.level_energy,
            self.level_seconds,
            self.level_peak,
            self.rise_energy,
        )

    def __add__(self, other: LevelProfile) -> LevelProfile:
        return LevelProfile(
            self.band_energy + other.band_energy,
            self.level_energy + other.level_energy,
            self.level_seconds + other.level_seconds,
            np.maximum(self.level_peak, other.level_peak),
            self.rise_energy + other.rise_energy,
        )

    def pack(self) -> bytes:
        return _TAG + np.concatenate(self._arrays()).astype("<f4").tobytes()


def unpack_profile(data: bytes | None) -> LevelProfile | None:
    """The profile ``LevelProfile.pack`` made; None for anything else."""
    if data is None or len(data) != _PACKED_BYTES or not data.startswith(_TAG):
        return None
    values = np.frombuffer(data, dtype="<f4", offset=len(_TAG)).astype(np.float64)
    return LevelProfile(*np.split(values, np.cumsum(_SIZES)[:-1]))


def measure_profile(samples: npt.ArrayLike, rate_hz: int) -> LevelProfile:
    """The profile of a whole track's (frames, channels) samples, in float32 as stored.

    Read as float32 (what decoding gives), so float64 copies of the same samples measure
    the same; sums and levels are float64."""
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if len(audio) == 0:  # nothing to measure: every estimate from it is "no change"
        return LevelProfile(*(np.zeros(size) for size in _SIZES))
    channels = audio.shape[1]
    power = block_power(audio).astype(np.float64)

    def level_db(ms: float) -> Array:
        return power_db(moving_mean(power, window_blocks(ms, rate_hz), "zero"))

    held = maximum_filter1d(
        level_db(COMPRESSOR_WINDOW_MS), window_blocks(COMPRESSOR_HOLD_MS, rate_hz), mode="nearest"
    )
    rise = level_db(EXPANDER_FAST_MS) - level_db(EXPANDER_SLOW_MS)
    weighted = sosfilt(k_weighting_sos(rate_hz), audio, axis=0)
    seconds = np.full(len(held), BLOCK_FRAMES / rate_hz)
    seconds[-1] = (len(audio) - (len(held) - 1) * BLOCK_FRAMES) / rate_hz
    energy = block_power(weighted) * channels * seconds

    def bins(values: Array, low: float, count: int) -> Array:
        return np.clip(((values - low) / LEVEL_STEP_DB).astype(np.int64), 0, count - 1)

    def histogram(index: Array, count: int, weights: Array) -> Array:
        return _as_stored(np.bincount(index, weights=weights, minlength=count))

    level_bins = bins(held, LEVEL_LOW_DBFS, LEVEL_BINS)
    whole = len(audio) // BLOCK_FRAMES * BLOCK_FRAMES
    block_peaks = np.abs(audio[:whole].reshape(-1, BLOCK_FRAMES * channels)).max(axis=1)
    if whole < len(audio):
        block_peaks = np.append(block_peaks, np.abs(audio[whole:]).max())
    level_peak = np.zeros(LEVEL_BINS)
    np.maximum.at(level_peak, level_bins, block_peaks)
    # rounded as stored, so a plan from a fresh measurement is the plan from the stored one
    return LevelProfile(
        _as_stored(_band_energy(audio, rate_hz, float(power.sum()) * BLOCK_FRAMES * channels)),
        histogram(level_bins, LEVEL_BINS, energy),
        histogram(level_bins, LEVEL_BINS, seconds),
        _as_stored(level_peak),
        histogram(bins(rise, RISE_LOW_DB, RISE_BINS), RISE_BINS, energy),
    )


def _as_stored(values: Array) -> Array:
    return values.astype("<f4").astype(np.float64)


def _band_energy(audio: Array, rate_hz: int, sum_of_squares: float) -> Array:
    """Energy per third octave: Hann-windowed spectra of consecutive frames, summed, scaled so
    all bins together hold the track's energy, ``sum_of_squares`` / rate (those under 20 Hz
    and over 20.5 kHz are left out)."""
    frames = max(1, len(audio) // SPECTRUM_FRAMES)
    used = min(len(audio), frames * SPECTRUM_FRAMES)
    padded = np.zeros((audio.shape[1], frames * SPECTRUM_FRAMES), dtype=np.float32)
    padded[:, :used] = audio[:used].T
    window = np.hanning(SPECTRUM_FRAMES).astype(np.float32)
    spectra = fft.rfft(padded.reshape(-1, SPECTRUM_FRAMES) * window, axis=1)
    power = np.square(spectra.real).sum(axis=0, dtype=np.float64) + np.square(spectra.imag).sum(
        axis=0, dtype=np.float64
    )
    total = float(power.sum())
    if total <= 0.0:
        return np.zeros(len(BAND_CENTRES_HZ))
    freqs = fft.rfftfreq(SPECTRUM_FRAMES, 1.0 / rate_hz)
    band = np.searchsorted(BAND_EDGES_HZ, freqs, side="right") - 1
    inside = (band >= 0) & (band < len(BAND_CENTRES_HZ))
    energy = np.bincount(band[inside], weights=power[inside], minlength=len(BAND_CENTRES_HZ))
    return energy * (sum_of_squares / rate_hz) / total


def _db(numerator: float, denominator: float) -> float:
    return 10.0 * math.log10(numerator / denominator) if numerator > 0 and denominator > 0 else 0.0


def eq_change_db(profile: LevelProfile, gains: Array, k_weights: Array) -> tuple[float, float]:
    """(loudness change in LU, energy change in dB) of an EQ whose power response at
    ``BAND_CENTRES_HZ`` is ``gains``; ``k_weights`` is K-weighting's there."""
    energy = profile.band_energy
    return (
        _db(float(energy @ (gains * k_weights)), float(energy @ k_weights)),
        _db(float(energy @ gains), float(energy.sum())),
    )


def compressor_change_db(
    profile: LevelProfile, threshold_dbfs: float, ratio: float, knee_db: float, shift_db: float
) -> float:
    """Loudness change (≤ 0 LU) of the compressor on the track, its levels moved ``shift_db``
    (the EQ's energy change) before the detector. The gain's 30 ms smoothing is left out: it
    spreads a reduction in time, not in size."""
    reduction = soft_knee_reduction_db(
        LEVEL_CENTRES_DBFS + shift_db - threshold_dbfs, ratio, knee_db
    )
    energy, seconds = profile.level_energy, profile.level_seconds
    before = _gated_power(energy, seconds)
    after = _gated_power(energy * 10.0 ** (-reduction / 10.0), seconds)
    return _db(after, before)


def compressed_peak_dbfs(
    profile: LevelProfile, compressor: tuple[float, float, float] | None, shift_db: float
) -> float | None:
    """The track's highest sample peak (dBFS) after a compressor (threshold dBFS, ratio,
    knee dB) whose detector sees the levels moved ``shift_db``: each level bin's largest peak
    lowered by the gain at that level. None for silence."""
    peaks = profile.level_peak
    live = peaks > 0
    if not live.any():
        return None
    reduction = np.zeros(LEVEL_BINS)
    if compressor is not None:
        threshold_dbfs, ratio, knee_db = compressor
        reduction = soft_knee_reduction_db(
            LEVEL_CENTRES_DBFS + shift_db - threshold_dbfs, ratio, knee_db
        )
    return float((20.0 * np.log10(peaks[live]) - reduction[live]).max())


def _gated_power(energy: Array, seconds: Array) -> float:
    """BS.1770's two gates applied to the level bins as if each were one block of its mean
    power: the mean power of the bins that pass (0 when none does)."""
    live = seconds > 0
    power = np.where(live, energy / np.where(live, seconds, 1.0), 0.0)
    with np.errstate(divide="ignore"):
        lufs = _LUFS_OFFSET_DB + 10.0 * np.log10(power)
    passed = live & (lufs > _ABSOLUTE_GATE_LUFS)
    if not passed.any():
        return 0.0
    mean = energy[passed].sum() / seconds[passed].sum()
    passed &= lufs > _LUFS_OFFSET_DB + 10.0 * math.log10(mean) + _RELATIVE_GATE_LU
    return float(energy[passed].sum() / seconds[passed].sum())


def expander_change_db(profile: LevelProfile, amount: float, max_db: float) -> float:
    """Loudness change of the expander (``amount`` × the fast level's rise over the slow,
    within ±``max_db``), its 5 ms smoothing left out."""
    gain_db = np.clip(amount * RISE_CENTRES_DB, -max_db, max_db)
    energy = profile.rise_energy
    return _db(float(energy @ 10.0 ** (gain_db / 10.0)), float(energy.sum()))
