//! Harmonic ratio (18): HPSS by median filtering with soft masks (Fitzgerald 2010).

use rayon::prelude::*;

use crate::median::sliding_median_into;
use crate::stft::Spectrogram;

pub const KERNEL: usize = 31;
pub const MASK_POWER: f64 = 2.0;

/// (E_harmonic, E_percussive) of a power spectrogram.
///
/// Medians of power equal squared medians of magnitude, so the soft masks on magnitudes,
/// H^p / (H^p + P^p), are H_pow^(p/2) / (…) here; the energies are Σ M²·|S|².
pub fn harmonic_percussive_energy(spec: &Spectrogram) -> (f64, f64) {
    let (bins, frames) = (spec.bins, spec.frames);
    // Percussive: median along frequency, on the frame-major spectrogram.
    let mut percussive = vec![0.0f32; bins * frames];
    percussive
        .par_chunks_mut(bins)
        .zip(spec.power.par_chunks(bins))
        .for_each(|(out, row)| sliding_median_into::<KERNEL>(row, out));
    // Harmonic: median along time, on bin-major copies; the masks then read all three
    // arrays in the same (bin-major) order.
    let power = transpose(&spec.power, frames, bins);
    let percussive = transpose(&percussive, frames, bins);
    let mut harmonic = vec![0.0f32; bins * frames];
    harmonic
        .par_chunks_mut(frames)
        .zip(power.par_chunks(frames))
        .for_each(|(out, row)| sliding_median_into::<KERNEL>(row, out));
    let exponent = MASK_POWER / 2.0;
    power
        .par_chunks(frames)
        .zip(
            harmonic
                .par_chunks(frames)
                .zip(percussive.par_chunks(frames)),
        )
        .map(|(power, (harmonic, percussive))| {
            let (mut eh, mut ep) = (0.0f64, 0.0f64);
            for ((&x, &h), &p) in power.iter().zip(harmonic).zip(percussive) {
                let (h, p) = (mask_base(h, exponent), mask_base(p, exponent));
                let total = h + p;
                let mask_h = if total > 0.0 { h / total } else { 0.5 };
                let mask_p = 1.0 - mask_h;
                eh += mask_h * mask_h * x as f64;
                ep += mask_p * mask_p * x as f64;
            }
            (eh, ep)
        })
        .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// `rows × cols` row-major → `cols × rows`, in cache-sized tiles.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    const TILE: usize = 32;
    let mut out = vec![0.0f32; values.len()];
    for row_start in (0..rows).step_by(TILE) {
        for col_start in (0..cols).step_by(TILE) {
            for r in row_start..(row_start + TILE).min(rows) {
                for c in col_start..(col_start + TILE).min(cols) {
                    out[c * rows + r] = values[r * cols + c];
                }
            }
        }
    }
    out
}

/// x^exponent, without a `powf` for the power-2 masks' exponent of 1 (x^1 is x exactly).
#[inline]
fn mask_base(x: f32, exponent: f64) -> f64 {
    if exponent == 1.0 {
        x as f64
    } else {
        (x as f64).powf(exponent)
    }
}

/// E_h / (E_h + E_p) summed over excerpts; 0 for silence.
pub fn harmonic_ratio(energies: &[(f64, f64)]) -> f64 {
    let harmonic: f64 = energies.iter().map(|e| e.0).sum();
    let percussive: f64 = energies.iter().map(|e| e.1).sum();
    if harmonic + percussive > 0.0 {
        harmonic / (harmonic + percussive)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_moves_every_value() {
        let values: Vec<f32> = (0..70 * 45).map(|v| v as f32).collect();
        let out = transpose(&values, 70, 45);
        for r in 0..70 {
            for c in 0..45 {
                assert_eq!(out[c * 70 + r], values[r * 45 + c]);
            }
        }
    }
    use crate::stft::{power_spectrogram, HOP, N_FFT};

    #[test]
    fn a_tone_is_harmonic_and_clicks_are_percussive() {
        let rate = 22050.0;
        let tone: Vec<f32> = (0..22050 * 3)
            .map(|i| (2.0 * std::f64::consts::PI * 440.0 * i as f64 / rate).sin() as f32)
            .collect();
        let mut clicks = vec![0.0f32; 22050 * 3];
        for start in (0..clicks.len()).step_by(11025) {
            clicks[start] = 1.0;
        }
        let tone_ratio = harmonic_ratio(&[harmonic_percussive_energy(&power_spectrogram(
            &tone, N_FFT, HOP,
        ))]);
        let click_ratio = harmonic_ratio(&[harmonic_percussive_energy(&power_spectrogram(
            &clicks, N_FFT, HOP,
        ))]);
        assert!(tone_ratio > 0.9, "{tone_ratio}");
        assert!(click_ratio < 0.2, "{click_ratio}");
    }
}
