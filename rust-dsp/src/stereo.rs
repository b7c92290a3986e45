//! Stereo dimensions (24, 25) from the first two channels of the native signal.

use rayon::prelude::*;

use crate::audio::Audio;

const CHUNK: usize = 1 << 16;

/// (stereo_width, phase_correlation): RMS(S)/(RMS(M)+RMS(S)) and Pearson r of L and R.
///
/// Mono reads width 0, correlation 1; silence the same. A channel without variance against
/// one with some has no defined correlation and reads 0.
pub fn stereo_features(audio: &Audio) -> (f64, f64) {
    if audio.channel_count() < 2 {
        return (0.0, 1.0);
    }
    let (left, right) = (&audio.channels[0], &audio.channels[1]);
    let n = left.len() as f64;
    // One pass of sums, taken about the first samples so that a constant channel's spread
    // is exactly 0 and cancellation stays small: Σl, Σr, Σl², Σr², Σlr (shifted), Σmid², Σside².
    let (left_shift, right_shift) = (left[0], right[0]);
    let add = |a: [f64; 7], b: [f64; 7]| std::array::from_fn(|k| a[k] + b[k]);
    let [sl, sr, sll, srr, slr, mid, side] = left
        .par_chunks(CHUNK)
        .zip(right.par_chunks(CHUNK))
        .map(|(ls, rs)| {
            let mut acc = [0.0; 7];
            for (&l, &r) in ls.iter().zip(rs) {
                let (a, b) = (l - left_shift, r - right_shift);
                acc[0] += a;
                acc[1] += b;
                acc[2] += a * a;
                acc[3] += b * b;
                acc[4] += a * b;
                acc[5] += ((l + r) / 2.0).powi(2);
                acc[6] += ((l - r) / 2.0).powi(2);
            }
            acc
        })
        .reduce(|| [0.0; 7], add);
    let (mid_rms, side_rms) = ((mid / n).sqrt(), (side / n).sqrt());
    let width = if mid_rms + side_rms > 0.0 {
        side_rms / (mid_rms + side_rms)
    } else {
        0.0
    };
    let (ll, rr, lr) = (
        (sll - sl * sl / n).max(0.0),
        (srr - sr * sr / n).max(0.0),
        slr - sl * sr / n,
    );
    let correlation = if ll > 0.0 && rr > 0.0 {
        (lr / (ll * rr).sqrt()).clamp(-1.0, 1.0)
    } else if ll == 0.0 && rr == 0.0 {
        1.0
    } else {
        0.0
    };
    (width, correlation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_opposite_and_mono() {
        let x: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.1).sin()).collect();
        let minus: Vec<f64> = x.iter().map(|v| -v).collect();
        let same = stereo_features(&Audio::new(vec![x.clone(), x.clone()], 8000));
        let opposite = stereo_features(&Audio::new(vec![x.clone(), minus], 8000));
        assert!(same.0.abs() < 1e-12 && (same.1 - 1.0).abs() < 1e-12);
        assert!((opposite.0 - 1.0).abs() < 1e-12 && (opposite.1 + 1.0).abs() < 1e-12);
        assert_eq!(stereo_features(&Audio::new(vec![x], 8000)), (0.0, 1.0));
    }
}
