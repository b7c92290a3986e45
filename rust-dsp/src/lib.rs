//! The Auralis fingerprint DSP (SPEC §4), one module per concern, and the pieces of its
//! gRPC server (SPEC §6).
//!
//! Every definition follows the Python reference in `auralis_server/dsp/`; both are held to
//! the shared test vectors (`shared/test_vectors/vectors.json`).

pub mod audio;
pub mod decode;
pub mod edges;
pub mod fingerprint;
pub mod harmonic;
pub mod levels;
pub mod loudness;
pub mod median;
pub mod pitch;
pub mod resample;
pub mod rhythm;
pub mod segments;
pub mod service;
pub mod sosfilt;
pub mod spectral;
pub mod stats;
pub mod stereo;
pub mod stft;
pub mod test_signals;

pub use audio::Audio;
pub use fingerprint::{compute_fingerprint, Fingerprint, ALGORITHM_VERSION, DIMENSION_NAMES};

pub mod proto {
    tonic::include_proto!("auralis.fingerprint.v1");
}
