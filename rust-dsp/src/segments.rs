//! One pass over the native signal for every level dimension.
//!
//! The windows those dimensions read (400 ms loudness blocks every 100 ms, 3 s short-term
//! windows every 1 s, 100 ms silence frames, 1 s frames) start and end on a small set of
//! sample positions. Cutting the signal at all of them gives segments whose raw Σx²,
//! K-weighted Σy² and peak |x| are gathered in a single pass per channel, K-filter included;
//! every window is then a run of whole segments. At the common rates every position is a
//! multiple of 100 ms, so a window's sum is a sum of 100 ms sums, as in the Python reference
//! (and a silent window is exactly 0).

use rayon::prelude::*;

use crate::audio::Audio;
use crate::sosfilt::{Cascade, Section};

/// Python's `round()`, which the window lengths follow.
pub fn samples_of(seconds: f64, rate_hz: u32) -> usize {
    (seconds * rate_hz as f64).round_ties_even() as usize
}

/// `count` windows of `length` samples every `step`, from 0.
#[derive(Clone, Copy, Debug)]
pub struct Windows {
    pub length: usize,
    pub step: usize,
    pub count: usize,
}

impl Windows {
    /// Overlapping windows as BS.1770 reads them: none when the signal is shorter than one.
    pub fn sliding(frames: usize, length: usize, step: usize) -> Windows {
        let count = if length == 0 || step == 0 || frames < length {
            0
        } else {
            (frames - length) / step + 1
        };
        Windows {
            length,
            step,
            count,
        }
    }

    /// Back-to-back frames, the trailing partial frame dropped; a signal shorter than one
    /// frame is one frame of its own length.
    pub fn tiled(frames: usize, frame: usize) -> Windows {
        if frames < frame {
            Windows {
                length: frames,
                step: frames.max(1),
                count: 1,
            }
        } else {
            Windows {
                length: frame,
                step: frame,
                count: frames / frame,
            }
        }
    }

    fn bounds(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.count).map(move |k| (k * self.step, k * self.step + self.length))
    }
}

/// One channel's (raw Σx², K-weighted Σy², peak |x|) per segment.
type ChannelSums = (Vec<f64>, Vec<f64>, Vec<f64>);

/// The sums of `N` channels over the segments between `cuts`, in one pass.
fn measure_channels<const N: usize>(
    channels: [&[f64]; N],
    cuts: &[usize],
    sections: &[Section; 2],
) -> [ChannelSums; N] {
    let mut filters: [Cascade<2>; N] = std::array::from_fn(|_| Cascade::new(sections));
    let segments = cuts.len() - 1;
    let mut out: [ChannelSums; N] = std::array::from_fn(|_| {
        (
            Vec::with_capacity(segments),
            Vec::with_capacity(segments),
            Vec::with_capacity(segments),
        )
    });
    for pair in cuts.windows(2) {
        let mut sums = [[0.0f64; 3]; N];
        for i in pair[0]..pair[1] {
            for c in 0..N {
                let x = channels[c][i];
                let y = filters[c].process(x);
                sums[c][0] += x * x;
                sums[c][1] += y * y;
                sums[c][2] = sums[c][2].max(x.abs());
            }
        }
        for c in 0..N {
            out[c].0.push(sums[c][0]);
            out[c].1.push(sums[c][1]);
            out[c].2.push(sums[c][2]);
        }
    }
    out
}

/// Per-segment sums of every channel.
pub struct Segments {
    cuts: Vec<usize>,
    /// `[channel][segment]`
    raw: Vec<Vec<f64>>,
    k_weighted: Vec<Vec<f64>>,
    peak: Vec<Vec<f64>>,
}

impl Segments {
    pub fn measure(audio: &Audio, windows: &[Windows]) -> Segments {
        let frames = audio.frames();
        let mut cuts = vec![0, frames];
        for w in windows {
            for (start, end) in w.bounds() {
                cuts.push(start);
                cuts.push(end);
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        let sections = crate::loudness::k_weighting_sos(audio.rate_hz);
        // Channels two at a time in one loop: their filters' recursions interleave in the CPU.
        let groups: Vec<&[Vec<f64>]> = audio.channels.chunks(2).collect();
        let per_channel: Vec<ChannelSums> = groups
            .par_iter()
            .flat_map_iter(|group| match group {
                [left, right] => measure_channels([left, right], &cuts, &sections).to_vec(),
                [mono] => measure_channels([mono], &cuts, &sections).to_vec(),
                _ => unreachable!("chunks(2) yields one or two channels"),
            })
            .collect();
        let mut segments = Segments {
            cuts,
            raw: Vec::new(),
            k_weighted: Vec::new(),
            peak: Vec::new(),
        };
        for (raw, k, peak) in per_channel {
            segments.raw.push(raw);
            segments.k_weighted.push(k);
            segments.peak.push(peak);
        }
        segments
    }

    fn span(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let index = |position: usize| {
            self.cuts
                .binary_search(&position)
                .expect("a window edge is a cut")
        };
        index(start)..index(end)
    }

    /// `[window][channel]` mean square of the K-weighted signal.
    pub fn k_weighted_powers(&self, windows: &Windows) -> Vec<Vec<f64>> {
        self.powers(&self.k_weighted, windows)
    }

    /// `[window][channel]` mean square of the raw signal.
    pub fn raw_powers(&self, windows: &Windows) -> Vec<Vec<f64>> {
        self.powers(&self.raw, windows)
    }

    fn powers(&self, sums: &[Vec<f64>], windows: &Windows) -> Vec<Vec<f64>> {
        windows
            .bounds()
            .map(|(start, end)| {
                let span = self.span(start, end);
                sums.iter()
                    .map(|c| c[span.clone()].iter().sum::<f64>() / windows.length as f64)
                    .collect()
            })
            .collect()
    }

    /// Per window, (mean square over all channels' samples, peak over all channels).
    pub fn frame_stats(&self, windows: &Windows) -> Vec<(f64, f64)> {
        let channels = self.raw.len() as f64;
        windows
            .bounds()
            .map(|(start, end)| {
                let span = self.span(start, end);
                let sum: f64 = self
                    .raw
                    .iter()
                    .map(|c| c[span.clone()].iter().sum::<f64>())
                    .sum();
                let peak = self
                    .peak
                    .iter()
                    .flat_map(|c| c[span.clone()].iter())
                    .fold(0.0f64, |a, &b| a.max(b));
                (sum / (windows.length as f64 * channels), peak)
            })
            .collect()
    }

    /// Sample peak and mean square of the whole signal, all channels.
    pub fn whole(&self) -> (f64, f64) {
        let peak = self.peak.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
        let sum: f64 = self.raw.iter().flatten().sum();
        let samples = *self.cuts.last().unwrap() as f64 * self.raw.len() as f64;
        (peak, if samples > 0.0 { sum / samples } else { 0.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_sums_equal_direct_sums() {
        let rate = 1000u32;
        let x: Vec<f64> = (0..3456)
            .map(|i| ((i * 7919) % 113) as f64 / 113.0 - 0.5)
            .collect();
        let audio = Audio::new(vec![x.clone(), x.iter().map(|v| v * 0.5).collect()], rate);
        let blocks = Windows::sliding(x.len(), 400, 100);
        let frames = Windows::tiled(x.len(), 1000);
        let segments = Segments::measure(&audio, &[blocks, frames]);
        for (w, powers) in segments.raw_powers(&blocks).iter().enumerate() {
            let direct: f64 = x[w * 100..w * 100 + 400].iter().map(|v| v * v).sum::<f64>() / 400.0;
            assert!((powers[0] - direct).abs() < 1e-12 && (powers[1] - direct / 4.0).abs() < 1e-12);
        }
        assert_eq!(blocks.count, 31);
        let stats = segments.frame_stats(&frames);
        assert_eq!(stats.len(), 3);
        let direct_peak = x[1000..2000].iter().fold(0.0f64, |a, v| a.max(v.abs()));
        assert_eq!(stats[1].1, direct_peak);
        let (peak, mean_square) = segments.whole();
        let direct: f64 = x.iter().map(|v| v * v * 1.25).sum::<f64>() / (2.0 * x.len() as f64);
        assert!(
            (mean_square - direct).abs() < 1e-12
                && peak == x.iter().fold(0.0f64, |a, v| a.max(v.abs()))
        );
    }

    #[test]
    fn a_short_signal_is_one_frame_and_no_block() {
        assert_eq!(Windows::sliding(300, 400, 100).count, 0);
        let frame = Windows::tiled(300, 1000);
        assert_eq!((frame.length, frame.count), (300, 1));
    }
}
