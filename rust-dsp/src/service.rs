//! The `auralis.fingerprint.v1.Fingerprinter` gRPC service.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tonic::{Request, Response, Status, Streaming};

use crate::audio::Audio;
use crate::decode::{decode_file, DecodeError};
use crate::fingerprint::{compute_fingerprint, Fingerprint, ALGORITHM_VERSION};
use crate::proto::fingerprinter_server::Fingerprinter;
use crate::proto::{
    AudioBlock, FileRequest, Fingerprint as FingerprintReply, InfoReply, InfoRequest,
};

pub const MAX_CHANNELS: u32 = 32;
/// About three hours of stereo at 48 kHz, some 12 GB once converted for analysis: a stream
/// longer than this is refused rather than allowed to exhaust memory.
pub const MAX_SAMPLES: usize = 1_000_000_000;

/// `serve_files`: whether `ComputeFile` may read paths (on by default only for a loopback
/// listener: a server open to the network should not read files for anyone who asks).
pub struct FingerprintService {
    pub serve_files: bool,
}

fn reply(track_id: i64, v: Fingerprint, compute_seconds: f64) -> FingerprintReply {
    FingerprintReply {
        track_id,
        algorithm_version: ALGORITHM_VERSION,
        compute_seconds,
        sub_bass_pct: v[0],
        bass_pct: v[1],
        low_mid_pct: v[2],
        mid_pct: v[3],
        upper_mid_pct: v[4],
        presence_pct: v[5],
        air_pct: v[6],
        lufs: v[7],
        crest_db: v[8],
        bass_mid_ratio: v[9],
        tempo_bpm: v[10],
        rhythm_stability: v[11],
        transient_density: v[12],
        silence_ratio: v[13],
        spectral_centroid: v[14],
        spectral_rolloff: v[15],
        spectral_flatness: v[16],
        harmonic_ratio: v[17],
        pitch_stability: v[18],
        chroma_energy: v[19],
        dynamic_range_variation: v[20],
        loudness_variation_std: v[21],
        peak_consistency: v[22],
        stereo_width: v[23],
        phase_correlation: v[24],
    }
}

/// Fingerprints being computed now.
static COMPUTING: AtomicUsize = AtomicUsize::new(0);

struct Computing;

impl Computing {
    /// Counts this computation in; how many run now, this one included.
    fn enter() -> (Computing, usize) {
        (Computing, COMPUTING.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

impl Drop for Computing {
    fn drop(&mut self) {
        COMPUTING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The CPU work off the async runtime's threads: the values and the seconds the DSP took.
///
/// A fingerprint computed alone spreads over every core (one track, lowest latency); one that
/// starts while another runs keeps to a thread of its own, since the cores are busy already
/// and splitting the work would only add the pool's overhead (library scans, more tracks/min).
async fn compute_blocking(audio: Audio) -> Result<(Fingerprint, f64), Status> {
    tokio::task::spawn_blocking(move || {
        let (_computing, running) = Computing::enter();
        let started = Instant::now();
        let values = if running > 1 {
            rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .map_err(|e| format!("no thread for the fingerprint: {e}"))?
                .install(|| compute_fingerprint(&audio))
        } else {
            compute_fingerprint(&audio)
        };
        values.map(|values| (values, started.elapsed().as_secs_f64()))
    })
    .await
    .map_err(|e| Status::internal(format!("fingerprint task failed: {e}")))?
    .map_err(Status::invalid_argument)
}

fn append_samples(pcm: &mut Vec<f32>, bytes: &[u8]) -> Result<(), Status> {
    if pcm.len() + bytes.len() / 4 > MAX_SAMPLES {
        return Err(Status::resource_exhausted(format!(
            "more than {MAX_SAMPLES} samples: too long to fingerprint here"
        )));
    }
    if bytes.len() % 4 != 0 {
        return Err(Status::invalid_argument(
            "a block's PCM is not a whole number of float32 samples",
        ));
    }
    pcm.extend(
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    );
    Ok(())
}

#[tonic::async_trait]
impl Fingerprinter for FingerprintService {
    async fn compute(
        &self,
        request: Request<Streaming<AudioBlock>>,
    ) -> Result<Response<FingerprintReply>, Status> {
        let mut blocks = request.into_inner();
        let first = blocks
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("the stream carried no block"))?;
        let header = first
            .header
            .ok_or_else(|| Status::invalid_argument("the first block has no header"))?;
        if header.sample_rate_hz == 0 || header.channels == 0 || header.channels > MAX_CHANNELS {
            return Err(Status::invalid_argument(format!(
                "bad header: {} Hz, {} channels",
                header.sample_rate_hz, header.channels
            )));
        }
        let mut pcm = Vec::new();
        append_samples(&mut pcm, &first.pcm_f32le)?;
        while let Some(block) = blocks.message().await? {
            append_samples(&mut pcm, &block.pcm_f32le)?;
        }
        let channels = header.channels as usize;
        if pcm.is_empty() || pcm.len() % channels != 0 {
            return Err(Status::invalid_argument(format!(
                "{} samples are not whole frames of {channels} channels",
                pcm.len()
            )));
        }
        let audio = Audio::from_interleaved(&pcm, channels, header.sample_rate_hz);
        drop(pcm);
        let (values, seconds) = compute_blocking(audio).await?;
        Ok(Response::new(reply(header.track_id, values, seconds)))
    }

    async fn compute_file(
        &self,
        request: Request<FileRequest>,
    ) -> Result<Response<FingerprintReply>, Status> {
        if !self.serve_files {
            return Err(Status::permission_denied(
                "this server does not read files (it listens off loopback); stream the samples with Compute",
            ));
        }
        let FileRequest { track_id, path } = request.into_inner();
        let path = PathBuf::from(path);
        let audio = tokio::task::spawn_blocking(move || decode_file(&path))
            .await
            .map_err(|e| Status::internal(format!("decode task failed: {e}")))?
            .map_err(|e| match e {
                DecodeError::Unreadable(m) => Status::not_found(m),
                DecodeError::Unsupported(m) => Status::unimplemented(m),
                DecodeError::Corrupt(m) => Status::invalid_argument(m),
            })?;
        let (values, seconds) = compute_blocking(audio).await?;
        Ok(Response::new(reply(track_id, values, seconds)))
    }

    async fn info(&self, _request: Request<InfoRequest>) -> Result<Response<InfoReply>, Status> {
        Ok(Response::new(InfoReply {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            algorithm_version: ALGORITHM_VERSION,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_of_a_tone(path: &std::path::Path) {
        // 16-bit mono PCM WAV, 2 s of 440 Hz at 22 050 Hz.
        let samples: Vec<i16> = (0..44100)
            .map(|i| {
                ((i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 22050.0).sin() * 16000.0) as i16
            })
            .collect();
        let data_bytes = (samples.len() * 2) as u32;
        let mut bytes = Vec::new();
        bytes.extend(b"RIFF");
        bytes.extend((36 + data_bytes).to_le_bytes());
        bytes.extend(b"WAVEfmt ");
        bytes.extend(16u32.to_le_bytes());
        bytes.extend(1u16.to_le_bytes());
        bytes.extend(1u16.to_le_bytes());
        bytes.extend(22050u32.to_le_bytes());
        bytes.extend((22050u32 * 2).to_le_bytes());
        bytes.extend(2u16.to_le_bytes());
        bytes.extend(16u16.to_le_bytes());
        bytes.extend(b"data");
        bytes.extend(data_bytes.to_le_bytes());
        for s in samples {
            bytes.extend(s.to_le_bytes());
        }
        std::fs::write(path, bytes).unwrap();
    }

    #[tokio::test]
    async fn compute_file_reads_a_wav_and_only_when_allowed() {
        let path =
            std::env::temp_dir().join(format!("auralis-dsp-test-{}.wav", std::process::id()));
        wav_of_a_tone(&path);
        let request = || {
            Request::new(FileRequest {
                track_id: 3,
                path: path.display().to_string(),
            })
        };
        let reply = FingerprintService { serve_files: true }
            .compute_file(request())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.track_id, 3);
        assert_eq!(reply.algorithm_version, ALGORITHM_VERSION);
        assert!(reply.pitch_stability > 0.95 && reply.stereo_width == 0.0);
        let refused = FingerprintService { serve_files: false }
            .compute_file(request())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        let missing = FingerprintService { serve_files: true }
            .compute_file(Request::new(FileRequest {
                track_id: 1,
                path: "/nonexistent.flac".into(),
            }))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), tonic::Code::NotFound);
        std::fs::remove_file(&path).unwrap();
    }
}
