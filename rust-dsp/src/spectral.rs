//! Spectral dimensions (1–7, 10, 15–17, 20) from the 22 050 Hz Hann power spectrogram.

use rayon::prelude::*;

use crate::stft::{Spectrogram, ANALYSIS_RATE_HZ};

pub const NYQUIST_HZ: f64 = ANALYSIS_RATE_HZ as f64 / 2.0;
pub const BAND_EDGES_HZ: [f64; 8] = [
    20.0,
    60.0,
    250.0,
    500.0,
    2000.0,
    4000.0,
    8000.0,
    NYQUIST_HZ + 1.0,
];
pub const FLATNESS_FLOOR: f64 = 1e-10;
pub const ROLLOFF_FRACTION: f64 = 0.85;
pub const BASS_MID_LIMIT_DB: f64 = 60.0;
pub const CHROMA_RANGE_HZ: (f64, f64) = (55.0, 5000.0);

pub struct BandFeatures {
    /// sub_bass … air fractions (dimensions 1–7).
    pub bands: [f64; 7],
    pub bass_mid_ratio_db: f64,
}

pub struct ShapeFeatures {
    pub centroid: f64,
    pub rolloff: f64,
    pub flatness: f64,
}

/// Per-bin mean power over all frames.
fn mean_power(spec: &Spectrogram) -> Vec<f64> {
    let sums = spec
        .power
        .par_chunks(spec.bins * 256)
        .map(|block| {
            let mut sums = vec![0.0f64; spec.bins];
            for frame in block.chunks(spec.bins) {
                for (s, &p) in sums.iter_mut().zip(frame) {
                    *s += p as f64;
                }
            }
            sums
        })
        .reduce(
            || vec![0.0f64; spec.bins],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    sums.iter().map(|s| s / spec.frames as f64).collect()
}

fn band_power(mean: &[f64], freqs: &[f64], low_hz: f64, high_hz: f64) -> f64 {
    mean.iter()
        .zip(freqs)
        .filter(|(_, &f)| f >= low_hz && f < high_hz)
        .map(|(p, _)| p)
        .sum()
}

/// Band fractions of the whole-track average spectrum, and bass/mid ratio in dB.
/// Digital silence has no spectrum: every band reads 0 and the ratio 0 dB.
pub fn band_features(spec: &Spectrogram) -> BandFeatures {
    let freqs = spec.frequencies_hz();
    let mean = mean_power(spec);
    let mut bands = [0.0; 7];
    for (i, band) in bands.iter_mut().enumerate() {
        *band = band_power(&mean, &freqs, BAND_EDGES_HZ[i], BAND_EDGES_HZ[i + 1]);
    }
    let total: f64 = bands.iter().sum();
    for band in bands.iter_mut() {
        *band = if total > 0.0 { *band / total } else { 0.0 };
    }
    let bass = band_power(&mean, &freqs, 20.0, 250.0);
    let mid = band_power(&mean, &freqs, 250.0, 2000.0);
    let bass_mid_ratio_db = if bass > 0.0 && mid > 0.0 {
        (10.0 * (bass / mid).log10()).clamp(-BASS_MID_LIMIT_DB, BASS_MID_LIMIT_DB)
    } else if bass > 0.0 {
        BASS_MID_LIMIT_DB
    } else if mid > 0.0 {
        -BASS_MID_LIMIT_DB
    } else {
        0.0
    };
    BandFeatures {
        bands,
        bass_mid_ratio_db,
    }
}

/// Frames with any energy above the flatness floor: digital silence has no shape.
fn is_audible(frame: &[f32]) -> bool {
    frame.iter().map(|&p| p as f64).sum::<f64>() / frame.len() as f64 > FLATNESS_FLOOR
}

/// Mean centroid, 85 % rolloff (both / 11 025 Hz) and flatness over audible frames.
pub fn shape_features(spec: &Spectrogram) -> ShapeFeatures {
    let freqs = spec.frequencies_hz();
    let per_frame = |f: usize| -> Option<[f64; 4]> {
        let frame = spec.frame(f);
        if !is_audible(frame) {
            return None;
        }
        let total: f64 = frame.iter().map(|&p| p as f64).sum();
        let centroid = frame
            .iter()
            .zip(&freqs)
            .map(|(&p, f)| p as f64 * f)
            .sum::<f64>()
            / total;
        let target = ROLLOFF_FRACTION * total;
        let mut cumulative = 0.0;
        let mut rolloff_bin = 0;
        for (k, &p) in frame.iter().enumerate() {
            cumulative += p as f64;
            if cumulative >= target {
                rolloff_bin = k;
                break;
            }
        }
        // Σ ln over products of 8 floored powers (within 1e-80…1e64): an eighth of the logs.
        let (mut log_sum, mut sum) = (0.0, 0.0);
        for group in frame.chunks(8) {
            let mut product = 1.0f64;
            for &p in group {
                let floored = (p as f64).max(FLATNESS_FLOOR);
                product *= floored;
                sum += floored;
            }
            log_sum += product.ln();
        }
        let n = frame.len() as f64;
        Some([
            centroid,
            freqs[rolloff_bin],
            (log_sum / n).exp() / (sum / n),
            1.0,
        ])
    };
    let [centroid, rolloff, flatness, count] = (0..spec.frames)
        .into_par_iter()
        .filter_map(per_frame)
        .reduce(
            || [0.0; 4],
            |a, b| [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]],
        );
    if count == 0.0 {
        return ShapeFeatures {
            centroid: 0.0,
            rolloff: 0.0,
            flatness: 0.0,
        };
    }
    ShapeFeatures {
        centroid: centroid / count / NYQUIST_HZ,
        rolloff: rolloff / count / NYQUIST_HZ,
        flatness: flatness / count,
    }
}

/// Mean over audible frames of Σc² of the L1-normalised 12-bin chroma (1/12 for silence).
pub fn chroma_energy(spec: &Spectrogram) -> f64 {
    let freqs = spec.frequencies_hz();
    let classes: Vec<(usize, usize)> = freqs
        .iter()
        .enumerate()
        .filter(|(_, &f)| f >= CHROMA_RANGE_HZ.0 && f <= CHROMA_RANGE_HZ.1)
        .map(|(k, &f)| {
            (
                k,
                ((12.0 * (f / 440.0).log2() + 69.0).round_ties_even() as i64).rem_euclid(12)
                    as usize,
            )
        })
        .collect();
    let floor = FLATNESS_FLOOR * classes.len() as f64;
    let (energy, count) = (0..spec.frames)
        .into_par_iter()
        .filter_map(|f| {
            let frame = spec.frame(f);
            let mut chroma = [0.0f64; 12];
            for &(k, class) in &classes {
                chroma[class] += frame[k] as f64;
            }
            let total: f64 = chroma.iter().sum();
            (total > floor).then(|| chroma.iter().map(|c| (c / total).powi(2)).sum::<f64>())
        })
        .map(|energy| (energy, 1usize))
        .reduce(|| (0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if count == 0 {
        1.0 / 12.0
    } else {
        energy / count as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stft::{power_spectrogram, HOP, N_FFT};

    fn tone(freq_hz: f64) -> Vec<f32> {
        (0..ANALYSIS_RATE_HZ as usize * 2)
            .map(|i| {
                (2.0 * std::f64::consts::PI * freq_hz * i as f64 / ANALYSIS_RATE_HZ as f64).sin()
                    as f32
            })
            .collect()
    }

    #[test]
    fn a_tone_lands_in_its_band_and_its_centroid() {
        let spec = power_spectrogram(&tone(1000.0), N_FFT, HOP);
        let bands = band_features(&spec);
        assert!(bands.bands[3] > 0.99, "{:?}", bands.bands);
        assert!((bands.bands.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let shape = shape_features(&spec);
        assert!((shape.centroid * NYQUIST_HZ - 1000.0).abs() < 20.0);
        assert!(shape.flatness < 0.01);
        assert!(chroma_energy(&spec) > 0.9);
    }

    #[test]
    fn silence_has_no_shape() {
        let spec = power_spectrogram(&vec![0.0; 44100], N_FFT, HOP);
        assert_eq!(band_features(&spec).bands, [0.0; 7]);
        assert_eq!(band_features(&spec).bass_mid_ratio_db, 0.0);
        assert_eq!(shape_features(&spec).flatness, 0.0);
        assert_eq!(chroma_energy(&spec), 1.0 / 12.0);
    }
}
