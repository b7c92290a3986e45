//! Decodes a file with the server's decoder and writes interleaved f32 to stdout (debugging aid).
use std::io::Write;
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let audio = auralis_dsp::decode::decode_file(std::path::Path::new(&path)).expect("decode");
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for i in 0..audio.frames() {
        for c in &audio.channels {
            out.write_all(&(c[i] as f32).to_le_bytes()).unwrap();
        }
    }
    eprintln!(
        "{} frames, {} channels, {} Hz",
        audio.frames(),
        audio.channel_count(),
        audio.rate_hz
    );
}
