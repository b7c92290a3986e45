//! Planar audio and the whole-signal reductions several dimensions share.

/// Samples of one track: `channels[c][i]`, every channel the same length.
#[derive(Clone, Debug)]
pub struct Audio {
    pub channels: Vec<Vec<f64>>,
    pub rate_hz: u32,
}

impl Audio {
    pub fn new(channels: Vec<Vec<f64>>, rate_hz: u32) -> Self {
        assert!(!channels.is_empty(), "audio needs at least one channel");
        let frames = channels[0].len();
        assert!(
            channels.iter().all(|c| c.len() == frames),
            "channels differ in length"
        );
        Audio { channels, rate_hz }
    }

    /// From interleaved samples (what the gRPC stream carries).
    pub fn from_interleaved(samples: &[f32], channel_count: usize, rate_hz: u32) -> Self {
        assert!(channel_count > 0);
        let frames = samples.len() / channel_count;
        let channels = (0..channel_count)
            .map(|c| {
                (0..frames)
                    .map(|i| samples[i * channel_count + c] as f64)
                    .collect()
            })
            .collect();
        Audio::new(channels, rate_hz)
    }

    pub fn frames(&self) -> usize {
        self.channels[0].len()
    }

    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }
}
