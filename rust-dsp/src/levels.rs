//! Level dimensions of the native signal: loudness (8), crest (9), silence (14) and the
//! per-second and short-term variations (21–23).

use crate::audio::Audio;
use crate::loudness::{
    block_windows, channel_weights, gated_loudness, loudness_of, ABSOLUTE_GATE_LUFS,
    SHORT_TERM_HOP_S, SHORT_TERM_S,
};
use crate::segments::{samples_of, Segments, Windows};
use crate::stats::mean_and_std;

pub const SILENCE_DBFS: f64 = -60.0;
pub const SILENCE_FRAME_S: f64 = 0.1;
pub const SHORT_TERM_RELATIVE_GATE_LU: f64 = -20.0;
fn silence_power() -> f64 {
    10f64.powf(SILENCE_DBFS / 10.0)
}

pub struct LevelFeatures {
    pub lufs: f64,
    pub crest_db: f64,
    pub silence_ratio: f64,
    pub dynamic_range_variation: f64,
    pub loudness_variation_std: f64,
    pub peak_consistency: f64,
}

/// 20·log10(peak / RMS), RMS over 400 ms blocks above −70 LUFS (all of a shorter signal).
/// `block_mean_squares` are channel-averaged raw mean squares of the blocks whose
/// K-weighted loudness is `block_lufs`. Silence reads 0 dB.
pub fn crest_db(
    peak: f64,
    block_mean_squares: &[f64],
    block_lufs: &[f64],
    whole_mean_square: f64,
) -> f64 {
    if peak == 0.0 {
        return 0.0;
    }
    let gated: Vec<f64> = block_mean_squares
        .iter()
        .zip(block_lufs)
        .filter(|(_, &l)| l > ABSOLUTE_GATE_LUFS)
        .map(|(&m, _)| m)
        .collect();
    let mean_square = if gated.is_empty() {
        whole_mean_square
    } else {
        gated.iter().sum::<f64>() / gated.len() as f64
    };
    if mean_square > 0.0 {
        20.0 * (peak / mean_square.sqrt()).log10()
    } else {
        0.0
    }
}

/// Fraction of 100 ms frames whose RMS (all channels) is below −60 dBFS.
fn silence_ratio(frames: &[(f64, f64)]) -> f64 {
    frames.iter().filter(|(m, _)| *m < silence_power()).count() as f64 / frames.len() as f64
}

/// (dynamic_range_variation, peak_consistency) from 1 s frames.
fn per_second_features(frames: &[(f64, f64)]) -> (f64, f64) {
    let crests: Vec<f64> = frames
        .iter()
        .filter(|(m, _)| *m >= silence_power())
        .map(|(m, p)| 10.0 * (p * p / m).log10())
        .collect();
    let variation = if crests.len() >= 2 {
        mean_and_std(&crests).1
    } else {
        0.0
    };
    let peaks: Vec<f64> = frames.iter().map(|(_, p)| *p).collect();
    let (mean_peak, std_peak) = mean_and_std(&peaks);
    let consistency = if mean_peak > 0.0 {
        1.0 / (1.0 + std_peak / mean_peak)
    } else {
        1.0
    };
    (variation, consistency)
}

/// Std (LU) of short-term loudness over windows above −70 LUFS and −20 LU relative.
fn loudness_variation(short_term_lufs: &[f64]) -> f64 {
    let lufs: Vec<f64> = short_term_lufs
        .iter()
        .copied()
        .filter(|&l| l > ABSOLUTE_GATE_LUFS)
        .collect();
    if lufs.len() < 2 {
        return 0.0;
    }
    let mean_power = lufs.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>() / lufs.len() as f64;
    let relative = 10.0 * mean_power.log10() + SHORT_TERM_RELATIVE_GATE_LU;
    let gated: Vec<f64> = lufs.into_iter().filter(|&l| l > relative).collect();
    if gated.len() >= 2 {
        mean_and_std(&gated).1
    } else {
        0.0
    }
}

pub fn level_features(audio: &Audio) -> LevelFeatures {
    let (frames, rate) = (audio.frames(), audio.rate_hz);
    let blocks = block_windows(audio);
    let short_term = Windows::sliding(
        frames,
        samples_of(SHORT_TERM_S, rate),
        samples_of(SHORT_TERM_HOP_S, rate),
    );
    let silence_frames = Windows::tiled(frames, samples_of(SILENCE_FRAME_S, rate).max(1));
    let seconds = Windows::tiled(frames, rate as usize);
    let segments = Segments::measure(audio, &[blocks, short_term, silence_frames, seconds]);
    let weights = channel_weights(audio.channel_count());
    let k_blocks = segments.k_weighted_powers(&blocks);
    let block_lufs: Vec<f64> = k_blocks.iter().map(|b| loudness_of(b, &weights)).collect();
    let block_mean_squares: Vec<f64> = segments
        .raw_powers(&blocks)
        .iter()
        .map(|b| b.iter().sum::<f64>() / b.len() as f64)
        .collect();
    let short_term_lufs: Vec<f64> = segments
        .k_weighted_powers(&short_term)
        .iter()
        .map(|p| loudness_of(p, &weights))
        .collect();
    let (peak, mean_square) = segments.whole();
    let (dynamic_range_variation, peak_consistency) =
        per_second_features(&segments.frame_stats(&seconds));
    LevelFeatures {
        lufs: gated_loudness(&k_blocks, &weights),
        crest_db: crest_db(peak, &block_mean_squares, &block_lufs, mean_square),
        silence_ratio: silence_ratio(&segments.frame_stats(&silence_frames)),
        dynamic_range_variation,
        loudness_variation_std: loudness_variation(&short_term_lufs),
        peak_consistency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(amplitude: f64, seconds: f64) -> Vec<f64> {
        (0..(seconds * 44100.0) as usize)
            .map(|i| amplitude * (2.0 * std::f64::consts::PI * 441.0 * i as f64 / 44100.0).sin())
            .collect()
    }

    #[test]
    fn a_sine_has_a_3_db_crest_and_no_variation() {
        let levels = level_features(&Audio::new(vec![sine(0.5, 10.0)], 44100));
        assert!((levels.crest_db - 3.0103).abs() < 0.01);
        assert!(levels.dynamic_range_variation < 0.01);
        assert!(levels.loudness_variation_std < 0.01);
        assert!((levels.peak_consistency - 1.0).abs() < 1e-6);
        assert_eq!(levels.silence_ratio, 0.0);
    }

    #[test]
    fn half_silence_is_half_silent() {
        let mut signal = sine(0.25, 10.0);
        signal.extend(vec![0.0; 441000]);
        let levels = level_features(&Audio::new(vec![signal.clone(), signal], 44100));
        assert!((levels.silence_ratio - 0.5).abs() < 0.001);
    }
}
