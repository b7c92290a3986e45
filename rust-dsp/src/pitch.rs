//! Pitch stability (19): YIN f0 over voiced frames (de Cheveigné & Kawahara 2002).

use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

use crate::stats::mean_and_std;
use crate::stft::{frame_count, frame_into, ANALYSIS_RATE_HZ};

pub const FMIN_HZ: f64 = 65.4;
pub const FMAX_HZ: f64 = 2093.0;
pub const FRAME: usize = 2048;
pub const HOP: usize = 512;
pub const THRESHOLD: f64 = 0.1;
pub const MIN_VOICED_FRAMES: usize = 10;

/// f0 in Hz of each voiced frame of `mono` (at the analysis rate); unvoiced frames are left out.
pub fn yin(mono: &[f32]) -> Vec<f64> {
    let rate = ANALYSIS_RATE_HZ as f64;
    let tau_min = (rate / FMAX_HZ).floor() as usize;
    let tau_max = (rate / FMIN_HZ).ceil() as usize;
    let window = FRAME - tau_max;
    let n_fft = (FRAME + window).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n_fft);
    let inverse = planner.plan_fft_inverse(n_fft);
    let signal: Vec<f64> = mono.iter().map(|&x| x as f64).collect();
    let frames = frame_count(signal.len(), FRAME, HOP);
    (0..frames)
        .into_par_iter()
        .map_init(
            || {
                (
                    vec![0.0f64; FRAME],
                    forward.make_input_vec(),
                    forward.make_output_vec(),
                    forward.make_output_vec(),
                    inverse.make_output_vec(),
                )
            },
            |(frame, buffer, head_spectrum, whole_spectrum, cross), index| {
                frame_into(&signal, index, HOP, frame);
                // cross[τ] = Σ_{j<window} x[j]·x[j+τ], by FFT.
                buffer.fill(0.0);
                buffer[..window].copy_from_slice(&frame[..window]);
                forward.process(buffer, head_spectrum).expect("fft sizes");
                buffer.fill(0.0);
                buffer[..FRAME].copy_from_slice(frame);
                forward.process(buffer, whole_spectrum).expect("fft sizes");
                for (h, w) in head_spectrum.iter_mut().zip(whole_spectrum.iter()) {
                    *h = h.conj() * w;
                }
                head_spectrum[0] = Complex::new(head_spectrum[0].re, 0.0);
                let last = head_spectrum.len() - 1;
                head_spectrum[last] = Complex::new(head_spectrum[last].re, 0.0);
                inverse.process(head_spectrum, cross).expect("fft sizes");
                let scale = 1.0 / n_fft as f64;
                let cmndf =
                    cumulative_mean_normalised_difference(frame, cross, scale, window, tau_max);
                best_period(&cmndf, tau_min, tau_max).map(|tau| rate / tau)
            },
        )
        .flatten()
        .collect()
}

/// d'(τ), τ = 0..=tau_max (YIN eq. 8).
fn cumulative_mean_normalised_difference(
    frame: &[f64],
    cross: &[f64],
    scale: f64,
    window: usize,
    tau_max: usize,
) -> Vec<f64> {
    let mut squares = Vec::with_capacity(frame.len() + 1);
    squares.push(0.0);
    let mut total = 0.0;
    for x in frame {
        total += x * x;
        squares.push(total);
    }
    let energy_0 = squares[window];
    let mut normalised = vec![1.0; tau_max + 1];
    let mut running = 0.0;
    for tau in 1..=tau_max {
        let energy_tau = squares[tau + window] - squares[tau];
        let difference = (energy_0 + energy_tau - 2.0 * cross[tau] * scale).max(0.0);
        running += difference;
        if running > 1e-12 * (energy_0 + 1e-30) {
            normalised[tau] = difference * tau as f64 / running;
        }
    }
    normalised
}

/// The period in samples (sub-sample) of one frame, or None when it is unvoiced.
fn best_period(cmndf: &[f64], tau_min: usize, tau_max: usize) -> Option<f64> {
    let mut tau = (tau_min..=tau_max).find(|&t| cmndf[t] < THRESHOLD)?;
    while tau < tau_max && cmndf[tau + 1] < cmndf[tau] {
        tau += 1;
    }
    let left = cmndf[tau.saturating_sub(1)];
    let centre = cmndf[tau];
    let right = cmndf[(tau + 1).min(tau_max)];
    let curvature = left - 2.0 * centre + right;
    let offset = if curvature > 0.0 {
        0.5 * (left - right) / curvature
    } else {
        0.0
    };
    Some(tau as f64 + offset.clamp(-0.5, 0.5))
}

/// 1 / (1 + std of f0 in semitones); 0 with fewer than 10 voiced frames.
pub fn pitch_stability(f0_hz: &[f64]) -> f64 {
    if f0_hz.len() < MIN_VOICED_FRAMES {
        return 0.0;
    }
    let semitones: Vec<f64> = f0_hz.iter().map(|f| 12.0 * (f / 440.0).log2()).collect();
    let (_, std) = mean_and_std(&semitones);
    1.0 / (1.0 + std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_tone_reads_its_pitch() {
        let tone: Vec<f32> = (0..22050 * 2)
            .map(|i| (0.5 * (2.0 * std::f64::consts::PI * 220.0 * i as f64 / 22050.0).sin()) as f32)
            .collect();
        let f0 = yin(&tone);
        assert!(f0.len() > 70);
        for f in &f0 {
            assert!((f - 220.0).abs() < 0.5, "{f}");
        }
        assert!(pitch_stability(&f0) > 0.99);
    }

    #[test]
    fn noise_and_silence_are_unvoiced_enough() {
        assert!(yin(&vec![0.0; 22050]).is_empty());
        assert_eq!(pitch_stability(&[440.0; 5]), 0.0);
    }
}
