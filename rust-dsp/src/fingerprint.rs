//! The 25-dimension fingerprint of SPEC §4 from decoded samples.
//!
//! Loudness, peak and stereo dimensions use the native signal; spectral, rhythm and pitch
//! dimensions a mono downmix resampled to 22 050 Hz (libsoxr, HQ). HPSS and YIN run on
//! three evenly spaced 20 s excerpts of tracks longer than 90 s, as the Python reference.

use crate::audio::Audio;
use crate::harmonic::{harmonic_percussive_energy, harmonic_ratio};
use crate::levels::level_features;
use crate::pitch::{pitch_stability, yin};
use crate::resample::resample;
use crate::rhythm::rhythm_features;
use crate::spectral::{band_features, chroma_energy, shape_features};
use crate::stereo::stereo_features;
use crate::stft::{power_spectrogram, ANALYSIS_RATE_HZ, HOP, N_FFT};

/// Changes whenever any definition changes (the Python reference carries the same number).
pub const ALGORITHM_VERSION: u32 = 2;
pub const EXCERPT_COUNT: usize = 3;
pub const EXCERPT_S: f64 = 20.0;
pub const EXCERPTS_FROM_S: f64 = 90.0;

/// SPEC §4 order: the wire, database and proto names.
pub const DIMENSION_NAMES: [&str; 25] = [
    "sub_bass_pct",
    "bass_pct",
    "low_mid_pct",
    "mid_pct",
    "upper_mid_pct",
    "presence_pct",
    "air_pct",
    "lufs",
    "crest_db",
    "bass_mid_ratio",
    "tempo_bpm",
    "rhythm_stability",
    "transient_density",
    "silence_ratio",
    "spectral_centroid",
    "spectral_rolloff",
    "spectral_flatness",
    "harmonic_ratio",
    "pitch_stability",
    "chroma_energy",
    "dynamic_range_variation",
    "loudness_variation_std",
    "peak_consistency",
    "stereo_width",
    "phase_correlation",
];

/// Values in `DIMENSION_NAMES` order.
pub type Fingerprint = [f64; 25];

pub fn index_of(name: &str) -> Option<usize> {
    DIMENSION_NAMES.iter().position(|&n| n == name)
}

/// Mono downmix at 22 050 Hz, float32.
pub fn analysis_signal(audio: &Audio) -> Result<Vec<f32>, String> {
    // Σ_c x_c·(1/C) in channel order, as numpy's `audio @ full(C, 1/C)` adds them.
    let weight = 1.0 / audio.channel_count() as f64;
    let mono: Vec<f32> = match audio.channels.as_slice() {
        [single] => single.iter().map(|&x| (x * weight) as f32).collect(),
        [left, right] => left
            .iter()
            .zip(right)
            .map(|(l, r)| (l * weight + r * weight) as f32)
            .collect(),
        channels => (0..audio.frames())
            .map(|i| channels.iter().fold(0.0, |sum, c| sum + c[i] * weight) as f32)
            .collect(),
    };
    resample(&mono, audio.rate_hz, ANALYSIS_RATE_HZ)
}

/// Sample spans analysed by the heavy dimensions: the whole signal or evenly spaced excerpts
/// (numpy's `linspace(0, length − size, 5)[1:-1]`, truncated).
pub fn excerpt_spans(length: usize, rate_hz: u32) -> Vec<(usize, usize)> {
    if length as f64 <= EXCERPTS_FROM_S * rate_hz as f64 {
        return vec![(0, length)];
    }
    let size = (EXCERPT_S * rate_hz as f64) as usize;
    let step = (length - size) as f64 / (EXCERPT_COUNT + 1) as f64;
    (1..=EXCERPT_COUNT)
        .map(|k| {
            let start = (k as f64 * step) as usize;
            (start, start + size)
        })
        .collect()
}

fn heavy_features(mono: &[f32], spectrogram: &crate::stft::Spectrogram) -> (f64, f64) {
    let spans = excerpt_spans(mono.len(), ANALYSIS_RATE_HZ);
    let energies: Vec<(f64, f64)> = spans
        .iter()
        .map(|&(start, stop)| {
            let first = start / HOP;
            let last = (first + 1).max(stop / HOP).min(spectrogram.frames);
            harmonic_percussive_energy(&spectrogram.slice(first.min(last), last))
        })
        .collect();
    let f0: Vec<f64> = spans
        .iter()
        .flat_map(|&(start, stop)| yin(&mono[start..stop]))
        .collect();
    (harmonic_ratio(&energies), pitch_stability(&f0))
}

/// All 25 dimensions, in SPEC order; an error for empty audio or a non-finite value.
pub fn compute_fingerprint(audio: &Audio) -> Result<Fingerprint, String> {
    if audio.frames() == 0 || audio.rate_hz == 0 {
        return Err("no samples to analyse".into());
    }
    let (levels, analysis) = rayon::join(
        || (level_features(audio), stereo_features(audio)),
        || -> Result<_, String> {
            let mono = analysis_signal(audio)?;
            let spectrogram = power_spectrogram(&mono, N_FFT, HOP);
            let ((bands, shape, chroma), (rhythm, heavy)) = rayon::join(
                || {
                    (
                        band_features(&spectrogram),
                        shape_features(&spectrogram),
                        chroma_energy(&spectrogram),
                    )
                },
                || {
                    rayon::join(
                        || rhythm_features(&mono),
                        || heavy_features(&mono, &spectrogram),
                    )
                },
            );
            Ok((bands, shape, chroma, rhythm, heavy))
        },
    );
    let ((level, (width, correlation)), (bands, shape, chroma, rhythm, (harmonic, pitch))) =
        (levels, analysis?);
    let values: Fingerprint = [
        bands.bands[0],
        bands.bands[1],
        bands.bands[2],
        bands.bands[3],
        bands.bands[4],
        bands.bands[5],
        bands.bands[6],
        level.lufs,
        level.crest_db,
        bands.bass_mid_ratio_db,
        rhythm.tempo_bpm,
        rhythm.rhythm_stability,
        rhythm.transient_density,
        level.silence_ratio,
        shape.centroid,
        shape.rolloff,
        shape.flatness,
        harmonic,
        pitch,
        chroma,
        level.dynamic_range_variation,
        level.loudness_variation_std,
        level.peak_consistency,
        width,
        correlation,
    ];
    let bad: Vec<&str> = DIMENSION_NAMES
        .iter()
        .zip(&values)
        .filter(|(_, v)| !v.is_finite())
        .map(|(n, _)| *n)
        .collect();
    if !bad.is_empty() {
        return Err(format!("non-finite values for {}", bad.join(", ")));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_match_numpy_linspace() {
        // np.linspace(0, 4_000_000 - 441_000, 5)[1:-1].astype(int)
        assert_eq!(
            excerpt_spans(4_000_000, 22050),
            vec![(889750, 1330750), (1779500, 2220500), (2669250, 3110250)]
        );
        assert_eq!(excerpt_spans(1000, 22050), vec![(0, 1000)]);
    }

    #[test]
    fn empty_audio_is_an_error() {
        assert!(compute_fingerprint(&Audio::new(vec![vec![]], 44100)).is_err());
    }
}
