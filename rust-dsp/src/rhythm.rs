//! Rhythm dimensions: tempo (11), rhythm stability (12), transient density (13).
//!
//! Everything starts from one onset-strength envelope: half-wave rectified spectral flux of
//! log-compressed magnitudes (n_fft 1024, hop 256 at 22 050 Hz, ≈ 86 envelope frames/s).

use rayon::prelude::*;
use realfft::RealFftPlanner;

use crate::edges::reflect;
use crate::stats::mean_and_std;
use crate::stft::{power_spectrogram, ANALYSIS_RATE_HZ};

pub const ONSET_N_FFT: usize = 1024;
pub const ONSET_HOP: usize = 256;
pub const ENVELOPE_RATE_HZ: f64 = ANALYSIS_RATE_HZ as f64 / ONSET_HOP as f64;
pub const MIN_BPM: f64 = 40.0;
pub const MAX_BPM: f64 = 240.0;
pub const PRIOR_CENTRE_BPM: f64 = 120.0;
pub const PRIOR_OCTAVES: f64 = 1.0;
/// Reported when nothing rhythmic happens (silence, a pure tone).
pub const NO_PULSE_BPM: f64 = PRIOR_CENTRE_BPM;
const OCTAVE_UP_RATIO: f64 = 0.8;
const REFINE_MULTIPLES: usize = 8;
const PEAK_DELTA: f64 = 0.07;
const PEAK_WAIT_S: f64 = 0.03;
const PEAK_MEAN_S: f64 = 0.2;
/// Flux below this is the shimmer of a steady sound (a held chord reads up to ~0.02), not an
/// onset; real onsets in music read 0.3–3.
pub const MIN_ONSET_STRENGTH: f64 = 0.05;

pub struct RhythmFeatures {
    pub tempo_bpm: f64,
    pub rhythm_stability: f64,
    pub transient_density: f64,
}

/// Python's `round()`: halves go to the even neighbour.
fn round_half_even(x: f64) -> i64 {
    x.round_ties_even() as i64
}

/// scipy.ndimage.uniform_filter1d(values, size) with its default "reflect" edges.
pub fn uniform_filter(values: &[f64], size: usize) -> Vec<f64> {
    let n = values.len();
    let before = (size / 2) as isize;
    let mut cumulative = Vec::with_capacity(n + size + 1);
    cumulative.push(0.0);
    let mut total = 0.0;
    for i in -before..(n as isize + size as isize - before) {
        total += values[reflect(i, n)];
        cumulative.push(total);
    }
    (0..n)
        .map(|i| (cumulative[i + size] - cumulative[i]) / size as f64)
        .collect()
}

/// scipy.ndimage.maximum_filter1d(values, size) with "reflect" edges.
pub fn maximum_filter(values: &[f64], size: usize) -> Vec<f64> {
    let n = values.len();
    let before = (size / 2) as isize;
    (0..n as isize)
        .map(|i| {
            (i - before..i - before + size as isize)
                .map(|j| values[reflect(j, n)])
                .fold(f64::MIN, f64::max)
        })
        .collect()
}

/// Onset strength per envelope frame (≥ 0); index i is the flux into frame i.
///
/// The mean over bins of max(0, ln(1 + 100·|X_t|) − ln(1 + 100·|X_t−1|)), computed as
/// Σ ln Π max(1, (1 + 100·|X_t|) / (1 + 100·|X_t−1|)) over groups of 8 bins: one logarithm
/// per group instead of one per bin (each ratio is at most ~1e5, so a product stays finite).
pub fn onset_envelope(mono: &[f32]) -> Vec<f64> {
    let spec = power_spectrogram(mono, ONSET_N_FFT, ONSET_HOP);
    let expanded = |f: usize| -> Vec<f64> {
        spec.frame(f)
            .iter()
            .map(|&p| 1.0 + 100.0 * p.sqrt() as f64)
            .collect()
    };
    const FRAMES_PER_TASK: usize = 256;
    let mut envelope = vec![0.0; spec.frames];
    envelope
        .par_chunks_mut(FRAMES_PER_TASK)
        .enumerate()
        .for_each(|(task, out)| {
            let first = task * FRAMES_PER_TASK;
            let mut previous = expanded(first.saturating_sub(1));
            for (offset, slot) in out.iter_mut().enumerate() {
                let f = first + offset;
                if f == 0 {
                    continue;
                }
                let current = expanded(f);
                let flux: f64 = current
                    .chunks(8)
                    .zip(previous.chunks(8))
                    .map(|(c, p)| {
                        c.iter()
                            .zip(p)
                            .map(|(c, p)| (c / p).max(1.0))
                            .product::<f64>()
                            .ln()
                    })
                    .sum();
                *slot = flux / spec.bins as f64;
                previous = current;
            }
        });
    envelope
}

/// Unbiased autocorrelation of the locally detrended envelope.
fn autocorrelation(envelope: &[f64]) -> Vec<f64> {
    let trend = uniform_filter(envelope, 3.max(round_half_even(ENVELOPE_RATE_HZ) as usize));
    let n = envelope.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(2 * n);
    let inverse = planner.plan_fft_inverse(2 * n);
    let mut input = forward.make_input_vec();
    for i in 0..n {
        input[i] = envelope[i] - trend[i];
    }
    let mut spectrum = forward.make_output_vec();
    forward
        .process(&mut input, &mut spectrum)
        .expect("fft sizes");
    for c in spectrum.iter_mut() {
        *c = realfft::num_complex::Complex::new(c.re * c.re + c.im * c.im, 0.0);
    }
    let mut acf = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut acf).expect("fft sizes");
    let scale = 1.0 / (2 * n) as f64;
    (0..n).map(|k| acf[k] * scale / (n - k) as f64).collect()
}

fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Sub-sample position of the peak at `index` from the parabola through three points.
fn parabolic_peak(values: &[f64], index: usize) -> f64 {
    if index == 0 || index >= values.len() - 1 {
        return index as f64;
    }
    let (left, centre, right) = (values[index - 1], values[index], values[index + 1]);
    let curvature = left - 2.0 * centre + right;
    index as f64
        + if curvature < 0.0 {
            0.5 * (left - right) / curvature
        } else {
            0.0
        }
}

/// Period in frames from the interpolated peaks at lag, 2·lag, … (least squares through 0).
fn refine_period(acf: &[f64], lag: usize) -> f64 {
    let limit = acf.len() / 2;
    let strength = acf[lag];
    let (mut weighted, mut norm, mut period) = (0.0, 0.0, lag as f64);
    for multiple in 1..=REFINE_MULTIPLES {
        let centre = multiple as f64 * period;
        let reach = 2.max(round_half_even(0.05 * centre));
        let lo = centre as i64 - reach;
        let hi = centre as i64 + reach + 2;
        if hi >= limit as i64 || lo < 0 {
            break;
        }
        let (lo, hi) = (lo as usize, hi as usize);
        let peak = lo + argmax(&acf[lo..hi]);
        if acf[peak] < 0.5 * strength {
            break;
        }
        weighted += multiple as f64 * parabolic_peak(acf, peak);
        norm += (multiple * multiple) as f64;
        period = weighted / norm;
    }
    period
}

/// (BPM, period in envelope frames); (NO_PULSE_BPM, None) when there is no pulse.
///
/// Autocorrelation weighted by a log-normal prior centred at 120 BPM (one octave wide),
/// then an octave-up check (a strong peak at half the chosen lag means the pulse is twice
/// as fast), then sub-frame refinement over the peak's multiples.
pub fn tempo(envelope: &[f64]) -> (f64, Option<f64>) {
    if envelope.is_empty() || envelope.iter().cloned().fold(f64::MIN, f64::max) < MIN_ONSET_STRENGTH
    {
        return (NO_PULSE_BPM, None);
    }
    let acf = autocorrelation(envelope);
    let min_lag = (60.0 * ENVELOPE_RATE_HZ / MAX_BPM).floor() as i64;
    let max_lag = ((60.0 * ENVELOPE_RATE_HZ / MIN_BPM).ceil() as i64).min(acf.len() as i64 / 2 - 1);
    if max_lag <= min_lag || acf[0] <= 0.0 {
        return (NO_PULSE_BPM, None);
    }
    let (mut best_lag, mut best_score) = (min_lag as usize, f64::MIN);
    for lag in min_lag as usize..=max_lag as usize {
        let bpm = 60.0 * ENVELOPE_RATE_HZ / lag as f64;
        let prior = (-0.5 * ((bpm / PRIOR_CENTRE_BPM).log2() / PRIOR_OCTAVES).powi(2)).exp();
        let score = acf[lag].max(0.0) * prior;
        if score > best_score {
            best_score = score;
            best_lag = lag;
        }
    }
    if best_score <= 1e-6 * acf[0] {
        return (NO_PULSE_BPM, None);
    }
    let mut lag = best_lag;
    while (lag / 2) as i64 >= min_lag {
        let half = round_half_even(lag as f64 / 2.0) as usize;
        let candidate = half - 1 + argmax(&acf[half - 1..half + 2]);
        if acf[candidate] < OCTAVE_UP_RATIO * acf[lag] {
            break;
        }
        lag = candidate;
    }
    let period = refine_period(&acf, lag);
    (
        (60.0 * ENVELOPE_RATE_HZ / period).clamp(MIN_BPM, MAX_BPM),
        Some(period),
    )
}

/// Beat frames, as runs of consecutive beats (a beat with no onset breaks the run).
///
/// The phase is the one whose comb of beats collects the most onset strength; each beat is
/// snapped to the strongest onset within ±10 % of a period of where it was predicted, and
/// the next is predicted one period after it.
pub fn track_beats(envelope: &[f64], period: f64) -> Vec<Vec<usize>> {
    let n = envelope.len();
    let phases = period.ceil() as usize;
    let teeth = 1.max(((n - 1) as f64 / period) as usize);
    let mut best_phase = 0usize;
    let mut best_sum = f64::MIN;
    for phase in 0..phases {
        let sum: f64 = (0..teeth)
            .map(|k| {
                envelope
                    [(round_half_even(phase as f64 + k as f64 * period).max(0) as usize).min(n - 1)]
            })
            .sum();
        if sum > best_sum {
            best_sum = sum;
            best_phase = phase;
        }
    }
    let tolerance = 1.max(round_half_even(0.1 * period));
    let (mean, std) = mean_and_std(envelope);
    let threshold = mean + std;
    let mut runs: Vec<Vec<usize>> = vec![Vec::new()];
    let mut position = best_phase as f64;
    while position < n as f64 {
        let centre = round_half_even(position);
        let lo = (centre - tolerance).max(0) as usize;
        let hi = ((centre + tolerance + 1) as usize).min(n);
        let beat = lo + argmax(&envelope[lo..hi]);
        if envelope[beat] > threshold {
            runs.last_mut().unwrap().push(beat);
            position = beat as f64 + period;
        } else {
            if !runs.last().unwrap().is_empty() {
                runs.push(Vec::new());
            }
            position += period;
        }
    }
    runs.retain(|run| !run.is_empty());
    runs
}

/// 1 / (1 + CV of inter-beat intervals within runs); 0 with fewer than 3 beats.
pub fn rhythm_stability(runs: &[Vec<usize>]) -> f64 {
    if runs.iter().map(Vec::len).sum::<usize>() < 3 {
        return 0.0;
    }
    let intervals: Vec<f64> = runs
        .iter()
        .filter(|run| run.len() > 1)
        .flat_map(|run| run.windows(2).map(|w| (w[1] - w[0]) as f64))
        .collect();
    if intervals.len() < 2 {
        return 0.0;
    }
    let (mean, std) = mean_and_std(&intervals);
    if mean <= 0.0 {
        return 0.0;
    }
    1.0 / (1.0 + std / mean)
}

/// Peaks of the normalised envelope that stand 0.07 above their 200 ms mean, ≥ 30 ms apart.
pub fn onset_count(envelope: &[f64]) -> usize {
    let peak = envelope.iter().cloned().fold(0.0, f64::max);
    if envelope.is_empty() || peak < MIN_ONSET_STRENGTH {
        return 0;
    }
    let normalised: Vec<f64> = envelope.iter().map(|e| e / peak).collect();
    let wait = 1.max(round_half_even(PEAK_WAIT_S * ENVELOPE_RATE_HZ)) as usize;
    let maxima = maximum_filter(&normalised, 2 * wait + 1);
    let local_mean = uniform_filter(
        &normalised,
        1.max(round_half_even(PEAK_MEAN_S * ENVELOPE_RATE_HZ)) as usize,
    );
    let (mut count, mut last) = (0usize, -(wait as i64) - 1);
    for i in 0..envelope.len() {
        let candidate = normalised[i] == maxima[i]
            && envelope[i] >= MIN_ONSET_STRENGTH
            && normalised[i] >= local_mean[i] + PEAK_DELTA;
        if candidate && i as i64 - last > wait as i64 {
            count += 1;
            last = i as i64;
        }
    }
    count
}

pub fn rhythm_features(mono: &[f32]) -> RhythmFeatures {
    let envelope = onset_envelope(mono);
    let (tempo_bpm, period) = tempo(&envelope);
    let runs = period
        .map(|p| track_beats(&envelope, p))
        .unwrap_or_default();
    let duration_s = mono.len() as f64 / ANALYSIS_RATE_HZ as f64;
    let density = if duration_s > 0.0 {
        onset_count(&envelope) as f64 / duration_s / 10.0
    } else {
        0.0
    };
    RhythmFeatures {
        tempo_bpm,
        rhythm_stability: rhythm_stability(&runs),
        transient_density: density.min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clicks(bpm: f64, seconds: f64) -> Vec<f32> {
        let rate = ANALYSIS_RATE_HZ as f64;
        let mut out = vec![0.0f32; (seconds * rate) as usize];
        let mut t = 0.25;
        while t < seconds - 0.01 {
            let start = (t * rate).round() as usize;
            for i in 0..110 {
                if start + i < out.len() {
                    let s = i as f64 / rate;
                    out[start + i] += ((2.0 * std::f64::consts::PI * 2000.0 * s).sin()
                        * (-s / 0.0015).exp()) as f32;
                }
            }
            t += 60.0 / bpm;
        }
        out
    }

    #[test]
    fn click_tracks_read_their_tempo_and_are_stable() {
        for bpm in [90.0, 120.0, 128.0] {
            let features = rhythm_features(&clicks(bpm, 30.0));
            assert!(
                (features.tempo_bpm - bpm).abs() < 1.0,
                "{bpm}: {}",
                features.tempo_bpm
            );
            assert!(features.rhythm_stability > 0.9);
            assert!((features.transient_density - bpm / 600.0).abs() < 0.02);
        }
    }

    #[test]
    fn filters_match_scipy_on_a_small_case() {
        // scipy.ndimage.uniform_filter1d([1, 2, 3, 4, 5], 4) and maximum_filter1d(..., 3).
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let uniform = uniform_filter(&x, 4);
        for (got, want) in uniform.iter().zip([1.5, 1.75, 2.5, 3.5, 4.25]) {
            assert!((got - want).abs() < 1e-12, "{uniform:?}");
        }
        assert_eq!(
            maximum_filter(&[3.0, 1.0, 2.0, 0.0, 5.0], 3),
            vec![3.0, 3.0, 2.0, 5.0, 5.0]
        );
    }

    #[test]
    fn silence_has_no_pulse() {
        let features = rhythm_features(&vec![0.0; 22050 * 5]);
        assert_eq!(features.tempo_bpm, NO_PULSE_BPM);
        assert_eq!(features.rhythm_stability, 0.0);
        assert_eq!(features.transient_density, 0.0);
    }
}
