"""Rhythm dimensions: tempo (11), rhythm stability (12), transient density (13).

Everything starts from one onset-strength envelope: half-wave rectified spectral flux of
log-compressed magnitudes (n_fft 1024, hop 256 at 22 050 Hz, ≈ 86 envelope frames/s).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from auralis_server.audio.arrays import Array
from auralis_server.fingerprint.dsp.stft import ANALYSIS_RATE_HZ, power_spectrogram

ONSET_N_FFT, ONSET_HOP = 1024, 256
ENVELOPE_RATE_HZ = ANALYSIS_RATE_HZ / ONSET_HOP
MIN_BPM, MAX_BPM = 40.0, 240.0
PRIOR_CENTRE_BPM, PRIOR_OCTAVES = 120.0, 1.0
NO_PULSE_BPM = PRIOR_CENTRE_BPM  # reported when nothing rhythmic happens (silence, a pure tone)
_OCTAVE_UP_RATIO = 0.8  # a peak at half the lag this strong means the pulse is twice as fast
_REFINE_MULTIPLES = 8
_PEAK_DELTA = 0.07
_PEAK_WAIT_S = 0.03
_PEAK_MEAN_S = 0.2
# Flux (mean log-magnitude rise per bin) below this is the shimmer of a steady sound, not an
# onset: frames that cut a held chord at different phases change the leakage between its
# partials, which reads up to ~0.02 (a steady sine ~1e-6); real onsets in music read 0.3–3.
MIN_ONSET_STRENGTH = 0.05


def onset_envelope(mono: Array) -> Array:
    """Onset strength per envelope frame (≥ 0); index i is the flux into frame i."""
    magnitude = np.sqrt(power_spectrogram(mono, ONSET_N_FFT, ONSET_HOP))
    compressed = np.log1p(100.0 * magnitude, dtype=np.float64)
    flux = np.maximum(np.diff(compressed, axis=1), 0.0).mean(axis=0)
    return np.concatenate([[0.0], flux])


def _autocorrelation(envelope: Array) -> Array:
    """Unbiased autocorrelation of the locally detrended envelope."""
    detrended = envelope - uniform_filter1d(envelope, size=max(3, round(ENVELOPE_RATE_HZ)))
    n = len(detrended)
    spectrum = np.fft.rfft(detrended, 2 * n)
    acf = np.fft.irfft(spectrum.real**2 + spectrum.imag**2)[:n]
    return acf / (n - np.arange(n))


def _parabolic_peak(values: Array, index: int) -> float:
    """Sub-sample position of the peak at ``index`` from the parabola through three points."""
    if index <= 0 or index >= len(values) - 1:
        return float(index)
    left, centre, right = values[index - 1], values[index], values[index + 1]
    curvature = left - 2 * centre + right
    return index + (0.5 * (left - right) / curvature if curvature < 0 else 0.0)


def _refine_period(acf: Array, lag: int) -> float:
    """Period in frames from the interpolated peaks at lag, 2·lag, … (least squares through 0)."""
    limit = len(acf) // 2
    strength = acf[lag]
    weighted, norm, period = 0.0, 0.0, float(lag)
    for multiple in range(1, _REFINE_MULTIPLES + 1):
        centre = multiple * period
        reach = max(2, round(0.05 * centre))
        lo, hi = int(centre) - reach, int(centre) + reach + 2
        if hi >= limit:
            break
        peak = lo + int(np.argmax(acf[lo:hi]))
        if acf[peak] < 0.5 * strength:
            break
        weighted += multiple * _parabolic_peak(acf, peak)
        norm += multiple * multiple
        period = weighted / norm
    return period


def tempo(envelope: Array) -> tuple[float, float | None]:
    """(BPM, period in envelope frames); (NO_PULSE_BPM, None) when there is no pulse.

    Autocorrelation weighted by a log-normal prior centred at 120 BPM (one octave wide),
    then an octave-up check — a click train's autocorrelation peaks at every multiple of
    its period, so a strong peak at half the chosen lag means the chosen tempo is half the
    real one — then sub-frame refinement over the peak's multiples.
    """
    if len(envelope) == 0 or envelope.max() < MIN_ONSET_STRENGTH:
        return NO_PULSE_BPM, None
    acf = _autocorrelation(envelope)
    min_lag = int(np.floor(60.0 * ENVELOPE_RATE_HZ / MAX_BPM))
    max_lag = min(int(np.ceil(60.0 * ENVELOPE_RATE_HZ / MIN_BPM)), len(acf) // 2 - 1)
    if max_lag <= min_lag or acf[0] <= 0:
        return NO_PULSE_BPM, None
    lags = np.arange(min_lag, max_lag + 1)
    bpm = 60.0 * ENVELOPE_RATE_HZ / lags
    prior = np.exp(-0.5 * (np.log2(bpm / PRIOR_CENTRE_BPM) / PRIOR_OCTAVES) ** 2)
    score = np.maximum(acf[lags], 0.0) * prior
    if score.max() <= 1e-6 * acf[0]:
        return NO_PULSE_BPM, None
    lag = int(lags[np.argmax(score)])
    while lag // 2 >= min_lag:
        half = round(lag / 2)
        candidate = half - 1 + int(np.argmax(acf[half - 1 : half + 2]))
        if acf[candidate] < _OCTAVE_UP_RATIO * acf[lag]:
            break
        lag = candidate
    period = _refine_period(acf, lag)
    return float(np.clip(60.0 * ENVELOPE_RATE_HZ / period, MIN_BPM, MAX_BPM)), period


def track_beats(envelope: Array, period: float) -> list[list[int]]:
    """Beat frames, as runs of consecutive beats (a beat with no onset breaks the run).

    The phase is the one whose comb of beats collects the most onset strength; each beat is
    then snapped to the strongest onset within ±10 % of a period of where it was predicted,
    and the next is predicted one period after it.
    """
    n = len(envelope)
    phases = np.arange(int(np.ceil(period)))
    comb = np.arange(max(1, int((n - 1) / period)))
    positions = np.minimum(np.round(phases[:, None] + comb[None, :] * period).astype(int), n - 1)
    position = float(phases[np.argmax(envelope[positions].sum(axis=1))])
    tolerance = max(1, round(0.1 * period))
    threshold = envelope.mean() + envelope.std()
    runs: list[list[int]] = [[]]
    while position < n:
        lo = max(0, round(position) - tolerance)
        hi = min(n, round(position) + tolerance + 1)
        beat = lo + int(np.argmax(envelope[lo:hi]))
        if envelope[beat] > threshold:
            runs[-1].append(beat)
            position = beat + period
        else:
            if runs[-1]:
                runs.append([])
            position += period
    return [run for run in runs if run]


def rhythm_stability(runs: list[list[int]]) -> float:
    """1 / (1 + CV of inter-beat intervals within runs); 0 with fewer than 3 beats."""
    if sum(len(run) for run in runs) < 3:
        return 0.0
    intervals = np.concatenate([np.diff(run) for run in runs if len(run) > 1])
    if len(intervals) < 2 or intervals.mean() <= 0:
        return 0.0
    return float(1.0 / (1.0 + intervals.std() / intervals.mean()))


def onset_count(envelope: Array) -> int:
    """Peaks of the normalised envelope that stand 0.07 above their 200 ms mean, ≥ 30 ms apart."""
    peak = envelope.max() if len(envelope) else 0.0
    if peak < MIN_ONSET_STRENGTH:
        return 0
    normalised = envelope / peak
    wait = max(1, round(_PEAK_WAIT_S * ENVELOPE_RATE_HZ))
    is_max = normalised == maximum_filter1d(normalised, size=2 * wait + 1)
    local_mean = uniform_filter1d(normalised, size=max(1, round(_PEAK_MEAN_S * ENVELOPE_RATE_HZ)))
    strong = envelope >= MIN_ONSET_STRENGTH
    candidates = np.flatnonzero(is_max & strong & (normalised >= local_mean + _PEAK_DELTA))
    count, last = 0, -wait - 1
    for index in candidates:
        if index - last > wait:
            count, last = count + 1, index
    return count


def rhythm_features(mono: Array) -> dict[str, float]:
    envelope = onset_envelope(mono)
    bpm, period = tempo(envelope)
    runs = track_beats(envelope, period) if period else []
    duration_s = len(mono) / ANALYSIS_RATE_HZ
    density = onset_count(envelope) / duration_s / 10.0 if duration_s > 0 else 0.0
    return {
        "tempo_bpm": bpm,
        "rhythm_stability": rhythm_stability(runs),
        "transient_density": float(min(1.0, density)),
    }
