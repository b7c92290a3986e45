//! Level dimensions of the native signal: loudness (8), crest (9), silence (14) and the
//! per-second and short-term variations (21–23).

use crate::audio::Audio;
use crate::loudness::{
    channel_weights, gated_loudness, k_weighted_squares, loudness_of, short_term_loudness,
    window_powers, ABSOLUTE_GATE_LUFS, BLOCK_HOP_S, BLOCK_S,
};

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

/// (mean square, peak) over all channels of consecutive `frame`-long windows (a signal
/// shorter than one window is one window).
fn frame_stats(audio: &Audio, frame: usize) -> (Vec<f64>, Vec<f64>) {
    let frames = audio.frames();
    let (count, length) = if frames >= frame {
        (frames / frame, frame)
    } else {
        (1, frames)
    };
    (0..count)
        .map(|w| {
            let (mut sum, mut peak) = (0.0f64, 0.0f64);
            for channel in &audio.channels {
                for &x in &channel[w * length..(w + 1) * length] {
                    sum += x * x;
                    peak = peak.max(x.abs());
                }
            }
            (sum / (length * audio.channel_count()) as f64, peak)
        })
        .unzip()
}

fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (
        mean,
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt(),
    )
}

/// Fraction of 100 ms frames whose RMS (all channels) is below −60 dBFS.
pub fn silence_ratio(audio: &Audio) -> f64 {
    let frame = 1.max((SILENCE_FRAME_S * audio.rate_hz as f64).round_ties_even() as usize);
    let (mean_square, _) = frame_stats(audio, frame);
    mean_square.iter().filter(|&&m| m < silence_power()).count() as f64 / mean_square.len() as f64
}

/// (dynamic_range_variation, peak_consistency) from 1 s frames.
pub fn per_second_features(audio: &Audio) -> (f64, f64) {
    let (mean_square, peaks) = frame_stats(audio, audio.rate_hz as usize);
    let crests: Vec<f64> = mean_square
        .iter()
        .zip(&peaks)
        .filter(|(&m, _)| m >= silence_power())
        .map(|(&m, &p)| 10.0 * (p * p / m).log10())
        .collect();
    let variation = if crests.len() >= 2 {
        mean_and_std(&crests).1
    } else {
        0.0
    };
    let (mean_peak, std_peak) = mean_and_std(&peaks);
    let consistency = if mean_peak > 0.0 {
        1.0 / (1.0 + std_peak / mean_peak)
    } else {
        1.0
    };
    (variation, consistency)
}

/// Std (LU) of 3 s short-term loudness over windows above −70 LUFS and −20 LU relative.
pub fn loudness_variation(k_squares: &[Vec<f64>], rate_hz: u32) -> f64 {
    let lufs: Vec<f64> = short_term_loudness(k_squares, rate_hz)
        .into_iter()
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
    let k_squares = k_weighted_squares(audio);
    let weights = channel_weights(audio.channel_count());
    let k_blocks = window_powers(&k_squares, audio.rate_hz, BLOCK_S, BLOCK_HOP_S);
    let raw_squares: Vec<Vec<f64>> = audio
        .channels
        .iter()
        .map(|c| c.iter().map(|x| x * x).collect())
        .collect();
    let raw_blocks = window_powers(&raw_squares, audio.rate_hz, BLOCK_S, BLOCK_HOP_S);
    let block_lufs: Vec<f64> = k_blocks.iter().map(|b| loudness_of(b, &weights)).collect();
    let block_mean_squares: Vec<f64> = raw_blocks
        .iter()
        .map(|b| b.iter().sum::<f64>() / b.len() as f64)
        .collect();
    let (dynamic_range_variation, peak_consistency) = per_second_features(audio);
    LevelFeatures {
        lufs: gated_loudness(&k_blocks, &weights),
        crest_db: crest_db(
            audio.peak(),
            &block_mean_squares,
            &block_lufs,
            audio.mean_square(),
        ),
        silence_ratio: silence_ratio(audio),
        dynamic_range_variation,
        loudness_variation_std: loudness_variation(&k_squares, audio.rate_hz),
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
        assert!(
            (silence_ratio(&Audio::new(vec![signal.clone(), signal], 44100)) - 0.5).abs() < 0.001
        );
    }
}
