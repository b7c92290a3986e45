//! Framing and the Hann power spectrogram every spectral dimension starts from.

use rayon::prelude::*;
use realfft::RealFftPlanner;

pub const ANALYSIS_RATE_HZ: u32 = 22050;
pub const N_FFT: usize = 2048;
pub const HOP: usize = 512;

/// |STFT|² of a signal, frame-major: `power[frame * bins + bin]`, float32 as in Python.
#[derive(Clone, Debug)]
pub struct Spectrogram {
    pub bins: usize,
    pub frames: usize,
    pub power: Vec<f32>,
}

impl Spectrogram {
    pub fn frame(&self, index: usize) -> &[f32] {
        &self.power[index * self.bins..(index + 1) * self.bins]
    }

    /// Frames `start..stop` as a spectrogram of their own.
    pub fn slice(&self, start: usize, stop: usize) -> Spectrogram {
        Spectrogram {
            bins: self.bins,
            frames: stop - start,
            power: self.power[start * self.bins..stop * self.bins].to_vec(),
        }
    }

    /// Bin centre frequencies in Hz at the analysis rate.
    pub fn frequencies_hz(&self) -> Vec<f64> {
        bin_frequencies_hz((self.bins - 1) * 2, ANALYSIS_RATE_HZ)
    }
}

pub fn bin_frequencies_hz(n_fft: usize, rate_hz: u32) -> Vec<f64> {
    (0..=n_fft / 2)
        .map(|k| k as f64 * rate_hz as f64 / n_fft as f64)
        .collect()
}

/// Number of `frame_length` windows every `hop` (a signal shorter than one frame is one
/// zero-padded frame).
pub fn frame_count(length: usize, frame_length: usize, hop: usize) -> usize {
    if length < frame_length {
        1
    } else {
        (length - frame_length) / hop + 1
    }
}

/// Frame `index` of `signal` (zero-padded past the end).
pub fn frame_into<T: Copy + Default>(signal: &[T], index: usize, hop: usize, out: &mut [T]) {
    let start = index * hop;
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = signal.get(start + i).copied().unwrap_or_default();
    }
}

/// Periodic Hann window.
pub fn hann(length: usize) -> Vec<f32> {
    (0..length)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / length as f64).cos()) as f32)
        .collect()
}

pub fn power_spectrogram(signal: &[f32], n_fft: usize, hop: usize) -> Spectrogram {
    let frames = frame_count(signal.len(), n_fft, hop);
    let bins = n_fft / 2 + 1;
    let window = hann(n_fft);
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
    let mut power = vec![0.0f32; frames * bins];
    power
        .par_chunks_mut(bins * 64)
        .enumerate()
        .for_each(|(block, out)| {
            let mut input = fft.make_input_vec();
            let mut spectrum = fft.make_output_vec();
            let mut scratch = fft.make_scratch_vec();
            for (offset, row) in out.chunks_mut(bins).enumerate() {
                frame_into(signal, block * 64 + offset, hop, &mut input);
                for (x, w) in input.iter_mut().zip(&window) {
                    *x *= w;
                }
                fft.process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                    .expect("fft sizes");
                for (p, c) in row.iter_mut().zip(&spectrum) {
                    *p = c.re * c.re + c.im * c.im;
                }
            }
        });
    Spectrogram {
        bins,
        frames,
        power,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bin_centred_sine_puts_its_power_in_its_bin() {
        let bin = 93usize;
        let signal: Vec<f32> = (0..N_FFT * 4)
            .map(|i| {
                (2.0 * std::f64::consts::PI * bin as f64 * i as f64 / N_FFT as f64).sin() as f32
            })
            .collect();
        let spec = power_spectrogram(&signal, N_FFT, HOP);
        assert_eq!(spec.frames, (N_FFT * 3) / HOP + 1);
        let frame = spec.frame(2);
        let peak = frame
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(peak, bin);
        // Hann: amplitude N/4 at the bin, N/8 in each neighbour, nothing further out.
        let expected = (N_FFT as f32 / 4.0).powi(2);
        assert!((frame[bin] / expected - 1.0).abs() < 1e-3);
        assert!((frame[bin + 1] / (expected / 4.0) - 1.0).abs() < 1e-3);
        assert!(frame[bin + 3] < 1e-3 * expected);
    }
}
