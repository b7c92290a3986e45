//! Times each stage of the fingerprint on one file (a development aid: `cargo run --release
//! --example profile FILE`).
use auralis_dsp::*;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let t = Instant::now();
    let audio = decode::decode_file(std::path::Path::new(&path)).expect("decode");
    println!("decode           {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _ = levels::level_features(&audio);
    println!("levels           {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _ = stereo::stereo_features(&audio);
    println!("stereo           {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mono = fingerprint::analysis_signal(&audio).unwrap();
    println!("downmix+resample {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let spec = stft::power_spectrogram(&mono, stft::N_FFT, stft::HOP);
    println!("stft             {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _ = (
        spectral::band_features(&spec),
        spectral::shape_features(&spec),
        spectral::chroma_energy(&spec),
    );
    println!("spectral         {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _ = rhythm::rhythm_features(&mono);
    println!("rhythm           {:7.3} s", t.elapsed().as_secs_f64());
    let spans = fingerprint::excerpt_spans(mono.len(), stft::ANALYSIS_RATE_HZ);
    let t = Instant::now();
    for &(a, b) in &spans {
        let _ = harmonic::harmonic_percussive_energy(&spec.slice(a / stft::HOP, b / stft::HOP));
    }
    println!("hpss             {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    for &(a, b) in &spans {
        let _ = pitch::yin(&mono[a..b]);
    }
    println!("yin              {:7.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _ = compute_fingerprint(&audio).unwrap();
    println!("whole            {:7.3} s", t.elapsed().as_secs_f64());
}
