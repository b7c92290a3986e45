//! ITU-R BS.1770-4 loudness: K-weighting designed for the native rate (De Man's analogue
//! parameters, as libebur128 and pyloudnorm's "DeMan" filter), 400 ms blocks every 100 ms,
//! gates at −70 LUFS absolute and −10 LU relative; short-term loudness (3 s every 1 s).

use crate::audio::Audio;
use crate::segments::{samples_of, Segments, Windows};
use crate::sosfilt::Section;

pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
pub const RELATIVE_GATE_LU: f64 = -10.0;
/// What an all-gated (silent) signal reads (docs/fingerprint.md).
pub const SILENCE_LUFS: f64 = -70.0;
pub const BLOCK_S: f64 = 0.4;
pub const BLOCK_HOP_S: f64 = 0.1;
pub const SHORT_TERM_S: f64 = 3.0;
pub const SHORT_TERM_HOP_S: f64 = 1.0;
const OFFSET_DB: f64 = -0.691;
const SURROUND_GAIN: f64 = 1.41;

/// The two K-weighting sections (shelf, then high-pass) for `rate_hz`.
pub fn k_weighting_sos(rate_hz: u32) -> [Section; 2] {
    let rate = rate_hz as f64;
    let (shelf_hz, shelf_gain_db, shelf_q) =
        (1681.974450955533, 3.999843853973347, 0.7071752369554196);
    let k = (std::f64::consts::PI * shelf_hz / rate).tan();
    let vh = 10f64.powf(shelf_gain_db / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let a0 = 1.0 + k / shelf_q + k * k;
    let shelf = [
        (vh + vb * k / shelf_q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / shelf_q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / shelf_q + k * k) / a0,
    ];
    let (highpass_hz, highpass_q) = (38.13547087602444, 0.5003270373238773);
    let k = (std::f64::consts::PI * highpass_hz / rate).tan();
    let a0 = 1.0 + k / highpass_q + k * k;
    let highpass = [
        1.0,
        -2.0,
        1.0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / highpass_q + k * k) / a0,
    ];
    [shelf, highpass]
}

/// BS.1770 channel gains: 1 for L, R, C; 0 for LFE, 1.41 for Ls, Rs (5.1 order).
pub fn channel_weights(channels: usize) -> Vec<f64> {
    match channels {
        6 => vec![1.0, 1.0, 1.0, 0.0, SURROUND_GAIN, SURROUND_GAIN],
        5 => vec![1.0, 1.0, 1.0, SURROUND_GAIN, SURROUND_GAIN],
        n => vec![1.0; n],
    }
}

/// LUFS of one window's channel powers.
pub fn loudness_of(powers: &[f64], weights: &[f64]) -> f64 {
    let weighted: f64 = powers.iter().zip(weights).map(|(p, w)| p * w).sum();
    OFFSET_DB + 10.0 * weighted.log10()
}

fn mean_powers(blocks: &[&Vec<f64>]) -> Vec<f64> {
    let channels = blocks[0].len();
    (0..channels)
        .map(|c| blocks.iter().map(|b| b[c]).sum::<f64>() / blocks.len() as f64)
        .collect()
}

/// Integrated loudness from 400 ms block powers, both gates applied (BS.1770-4 eq. 2–7).
pub fn gated_loudness(block_powers: &[Vec<f64>], weights: &[f64]) -> f64 {
    let block_lufs: Vec<f64> = block_powers
        .iter()
        .map(|b| loudness_of(b, weights))
        .collect();
    let above: Vec<&Vec<f64>> = block_powers
        .iter()
        .zip(&block_lufs)
        .filter(|(_, &l)| l > ABSOLUTE_GATE_LUFS)
        .map(|(b, _)| b)
        .collect();
    if above.is_empty() {
        return SILENCE_LUFS;
    }
    let relative_gate = loudness_of(&mean_powers(&above), weights) + RELATIVE_GATE_LU;
    let gated: Vec<&Vec<f64>> = block_powers
        .iter()
        .zip(&block_lufs)
        .filter(|(_, &l)| l > ABSOLUTE_GATE_LUFS && l > relative_gate)
        .map(|(b, _)| b)
        .collect();
    loudness_of(&mean_powers(&gated), weights)
}

/// Integrated loudness in LUFS; `SILENCE_LUFS` when every block is under the gate.
pub fn integrated_loudness(audio: &Audio) -> f64 {
    let blocks = block_windows(audio);
    let segments = Segments::measure(audio, &[blocks]);
    gated_loudness(
        &segments.k_weighted_powers(&blocks),
        &channel_weights(audio.channel_count()),
    )
}

/// The 400 ms blocks every 100 ms that integrated loudness (and crest) read.
pub fn block_windows(audio: &Audio) -> Windows {
    Windows::sliding(
        audio.frames(),
        samples_of(BLOCK_S, audio.rate_hz),
        samples_of(BLOCK_HOP_S, audio.rate_hz),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq_hz: f64, dbfs: f64, seconds: f64, rate_hz: u32) -> Vec<f64> {
        let amplitude = 10f64.powf(dbfs / 20.0);
        (0..(seconds * rate_hz as f64) as usize)
            .map(|i| {
                amplitude * (2.0 * std::f64::consts::PI * freq_hz * i as f64 / rate_hz as f64).sin()
            })
            .collect()
    }

    #[test]
    fn k_weighting_at_48_khz_is_the_bs1770_table() {
        let [shelf, highpass] = k_weighting_sos(48000);
        let table_shelf = [
            1.53512485958697,
            -2.69169618940638,
            1.19839281085285,
            1.0,
            -1.69065929318241,
            0.73248077421585,
        ];
        let table_highpass = [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621];
        for (ours, table) in shelf
            .iter()
            .zip(table_shelf)
            .chain(highpass.iter().zip(table_highpass))
        {
            assert!((ours - table).abs() < 1e-6, "{ours} vs {table}");
        }
    }

    #[test]
    fn tech_3341_sines_read_their_level() {
        for (dbfs, expected) in [(-23.0, -23.0), (-33.0, -33.0)] {
            let tone = sine(1000.0, dbfs, 20.0, 48000);
            let audio = Audio::new(vec![tone.clone(), tone], 48000);
            assert!((integrated_loudness(&audio) - expected).abs() < 0.1);
        }
    }

    #[test]
    fn one_full_scale_channel_reads_minus_3_01_at_every_rate() {
        for rate in [44100, 48000, 96000] {
            let audio = Audio::new(
                vec![
                    sine(997.0, 0.0, 10.0, rate),
                    vec![0.0; (10.0 * rate as f64) as usize],
                ],
                rate,
            );
            assert!((integrated_loudness(&audio) + 3.01).abs() < 0.1, "{rate}");
        }
    }

    #[test]
    fn silence_reads_the_silence_value() {
        let audio = Audio::new(vec![vec![0.0; 48000 * 2]], 48000);
        assert_eq!(integrated_loudness(&audio), SILENCE_LUFS);
    }
}
