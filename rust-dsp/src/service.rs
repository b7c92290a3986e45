//! The `auralis.fingerprint.v1.Fingerprinter` gRPC service.

use std::path::PathBuf;
use std::time::Instant;

use tonic::{Request, Response, Status, Streaming};

use crate::audio::Audio;
use crate::decode::{decode_file, DecodeError};
use crate::fingerprint::{compute_fingerprint, Fingerprint, ALGORITHM_VERSION};
use crate::proto::fingerprinter_server::Fingerprinter;
use crate::proto::{AudioBlock, FileRequest, Fingerprint as FingerprintReply, InfoReply, InfoRequest};

pub const MAX_CHANNELS: u32 = 32;

#[derive(Default)]
pub struct FingerprintService;

fn reply(track_id: i64, v: Fingerprint, started: Instant) -> FingerprintReply {
    FingerprintReply {
        track_id,
        algorithm_version: ALGORITHM_VERSION,
        compute_seconds: started.elapsed().as_secs_f64(),
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

/// The CPU work off the async runtime's threads.
async fn compute_blocking(audio: Audio) -> Result<Fingerprint, Status> {
    tokio::task::spawn_blocking(move || compute_fingerprint(&audio))
        .await
        .map_err(|e| Status::internal(format!("fingerprint task failed: {e}")))?
        .map_err(Status::invalid_argument)
}

fn append_samples(pcm: &mut Vec<f32>, bytes: &[u8]) -> Result<(), Status> {
    if bytes.len() % 4 != 0 {
        return Err(Status::invalid_argument("a block's PCM is not a whole number of float32 samples"));
    }
    pcm.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
    Ok(())
}

#[tonic::async_trait]
impl Fingerprinter for FingerprintService {
    async fn compute(&self, request: Request<Streaming<AudioBlock>>) -> Result<Response<FingerprintReply>, Status> {
        let started = Instant::now();
        let mut blocks = request.into_inner();
        let first = blocks.message().await?.ok_or_else(|| Status::invalid_argument("the stream carried no block"))?;
        let header = first.header.ok_or_else(|| Status::invalid_argument("the first block has no header"))?;
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
        let values = compute_blocking(audio).await?;
        Ok(Response::new(reply(header.track_id, values, started)))
    }

    async fn compute_file(&self, request: Request<FileRequest>) -> Result<Response<FingerprintReply>, Status> {
        let started = Instant::now();
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
        let values = compute_blocking(audio).await?;
        Ok(Response::new(reply(track_id, values, started)))
    }

    async fn info(&self, _request: Request<InfoRequest>) -> Result<Response<InfoReply>, Status> {
        Ok(Response::new(InfoReply {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            algorithm_version: ALGORITHM_VERSION,
        }))
    }
}
