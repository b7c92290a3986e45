//! `auralis-dsp-server --listen 127.0.0.1:50051`: the fingerprint gRPC server.
//!
//! Prints `listening on ADDR` on stdout once bound (port 0 picks a free one, which is how
//! `auralis-server` starts it), serves `auralis.fingerprint.v1.Fingerprinter` and
//! `grpc.health.v1.Health`, and stops cleanly on SIGTERM or Ctrl-C — and, with
//! `--exit-with-stdin`, when its standard input closes, so a supervised server never
//! outlives a parent that was killed.

use std::io::{Read, Write};
use std::net::SocketAddr;

use auralis_dsp::proto::fingerprinter_server::FingerprinterServer;
use auralis_dsp::service::FingerprintService;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio_stream::wrappers::TcpListenerStream;

const USAGE: &str =
    "usage: auralis-dsp-server [--listen HOST:PORT] [--exit-with-stdin] [--serve-files]";
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
const WINDOW_BYTES: u32 = 16 * 1024 * 1024;

struct Options {
    listen: SocketAddr,
    exit_with_stdin: bool,
    /// ComputeFile off loopback too (by default a server open to the network reads no files).
    serve_files: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = "127.0.0.1:50051".to_string();
    let mut exit_with_stdin = false;
    let mut serve_files = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().ok_or(USAGE)?,
            "--exit-with-stdin" => exit_with_stdin = true,
            "--serve-files" => serve_files = true,
            "--version" => {
                println!("auralis-dsp-server {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    let listen: SocketAddr = listen
        .parse()
        .map_err(|_| format!("--listen wants HOST:PORT, got {listen:?}"))?;
    let serve_files = serve_files || listen.ip().is_loopback();
    Ok(Options {
        listen,
        exit_with_stdin,
        serve_files,
    })
}

/// Resolves once standard input reaches end of file (or fails). The blocking read runs on
/// a plain thread: tokio's own stdin would keep the runtime from shutting down.
async fn stdin_closed() {
    let (closed, notified) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 256];
        let mut stdin = std::io::stdin();
        while let Ok(read) = stdin.read(&mut buffer) {
            if read == 0 {
                break;
            }
        }
        let _ = closed.send(());
    });
    let _ = notified.await;
}

#[tokio::main]
async fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("auralis-dsp-server: {message}");
            std::process::exit(2);
        }
    };
    let address = options.listen;
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("auralis-dsp-server: cannot listen on {address}: {e}");
            std::process::exit(1);
        }
    };
    let bound = listener.local_addr().expect("bound address");
    let (mut reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<FingerprinterServer<FingerprintService>>()
        .await;
    let service = FingerprinterServer::new(FingerprintService {
        serve_files: options.serve_files,
    })
    .max_decoding_message_size(MAX_MESSAGE_BYTES)
    .max_encoding_message_size(MAX_MESSAGE_BYTES);
    println!("listening on {bound}");
    std::io::stdout().flush().ok();
    let exit_with_stdin = options.exit_with_stdin;
    let shutdown = async move {
        let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let orphaned = async {
            if exit_with_stdin {
                stdin_closed().await
            } else {
                std::future::pending::<()>().await
            }
        };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = orphaned => {}
        }
    };
    // Large HTTP/2 windows: a track's samples arrive at loopback speed, not one 64 KiB
    // window per round trip.
    let served = tonic::transport::Server::builder()
        .initial_connection_window_size(Some(WINDOW_BYTES))
        .initial_stream_window_size(Some(WINDOW_BYTES))
        .add_service(health)
        .add_service(service)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await;
    if let Err(e) = served {
        eprintln!("auralis-dsp-server: {e}");
        std::process::exit(1);
    }
    // Exit now rather than wait on the stdin thread's blocking read.
    std::process::exit(0);
}
