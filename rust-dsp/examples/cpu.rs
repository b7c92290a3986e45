//! CPU cost of whole fingerprints (a development aid): `cargo run --release --example cpu FILE N`.
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let n: usize = std::env::args()
        .nth(2)
        .map(|v| v.parse().unwrap())
        .unwrap_or(4);
    let audio = auralis_dsp::decode::decode_file(std::path::Path::new(&path)).expect("decode");
    let t = Instant::now();
    for _ in 0..n {
        auralis_dsp::compute_fingerprint(&audio).unwrap();
    }
    println!(
        "{:.3} s wall per fingerprint",
        t.elapsed().as_secs_f64() / n as f64
    );
}
