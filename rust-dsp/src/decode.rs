//! Whole-file decoding for `ComputeFile`, with symphonia: lossless formats only (FLAC, WAV,
//! AIFF), which it decodes bit-exactly as libsndfile does. Its lossy decoders disagree with
//! the Python server's (symphonia's Vorbis clips at full scale and keeps the end padding), so
//! MP3, Vorbis and Opus are refused as `Unsupported` and their client streams the samples.

use std::fs::File;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::audio::Audio;

/// Why a file gave no samples; `Unsupported` means another decoder may still read it.
#[derive(Debug)]
pub enum DecodeError {
    Unreadable(String),
    Unsupported(String),
    Corrupt(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Unreadable(m) | DecodeError::Unsupported(m) | DecodeError::Corrupt(m) => {
                f.write_str(m)
            }
        }
    }
}

pub fn decode_file(path: &Path) -> Result<Audio, DecodeError> {
    let file = File::open(path)
        .map_err(|e| DecodeError::Unreadable(format!("{}: {e}", path.display())))?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &options, &MetadataOptions::default())
        .map_err(|e| DecodeError::Unsupported(format!("{}: {e}", path.display())))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| DecodeError::Unsupported(format!("{}: no audio track", path.display())))?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| DecodeError::Unsupported(format!("{}: {e}", path.display())))?;
    let mut channels: Vec<Vec<f64>> = Vec::new();
    let mut rate_hz = track.codec_params.sample_rate.unwrap_or(0);
    // Room for the whole track up front (when the header says how long it is): no regrowth.
    let expected_frames = track.codec_params.n_frames.unwrap_or(0) as usize;
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => return Err(DecodeError::Corrupt(format!("{}: {e}", path.display()))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(Error::DecodeError(_)) => continue, // a damaged packet: skip it, as players do
            Err(e) => return Err(DecodeError::Corrupt(format!("{}: {e}", path.display()))),
        };
        let spec = *decoded.spec();
        rate_hz = spec.rate;
        let count = spec.channels.count();
        if channels.is_empty() {
            channels = (0..count)
                .map(|_| Vec::with_capacity(expected_frames))
                .collect();
        }
        let needed = decoded.capacity() as u64;
        if buffer
            .as_ref()
            .map_or(true, |b| b.capacity() < needed as usize * count)
        {
            buffer = Some(SampleBuffer::new(needed, spec));
        }
        let samples = buffer.as_mut().unwrap();
        samples.copy_interleaved_ref(decoded);
        for frame in samples.samples().chunks_exact(count) {
            for (channel, &x) in channels.iter_mut().zip(frame) {
                channel.push(x as f64);
            }
        }
    }
    if channels.is_empty() || channels[0].is_empty() || rate_hz == 0 {
        return Err(DecodeError::Corrupt(format!(
            "{}: no audio could be decoded",
            path.display()
        )));
    }
    Ok(Audio::new(channels, rate_hz))
}
