"""Fingerprint speed: the Rust server, our Python implementation and a librosa equivalent.

All three analyse the same decoded 3-minute track in one run (librosa on the whole track, the
way the old system did; ours use excerpts for HPSS and YIN as SPEC §4 allows). Rust is timed
two ways: the DSP alone (what the server reports) and the whole gRPC call with the samples
streamed to it. Then library throughput in tracks/min through a real `auralis-server` on a
folder of 3-minute FLACs, with the supervised Rust server and with Python workers only.
Usage: python bench/fingerprint.py [--tracks N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
import httpx
import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auralis_server.fingerprint.dsp.analysis import compute_fingerprint  # noqa: E402
from auralis_server.fingerprint.rust.client import audio_blocks  # noqa: E402
from auralis_server.fingerprint.rust.stubs import fingerprint_pb2_grpc  # noqa: E402
from auralis_server.fingerprint.rust.supervisor import DspSupervisor, find_binary  # noqa: E402
from auralis_server.library.demo import SAMPLE_RATE_HZ, SONGS, render_song  # noqa: E402
from bench.server import serve, stop  # noqa: E402

TRACK_S = 180.0
TARGET_RATIO = 3.0
RUST_TARGET_S = 0.4
RUST_RATIO = 30.0
LIBRARY_TARGET = 150


def librosa_equivalent(audio: np.ndarray, rate_hz: int) -> dict[str, float]:
    """The same dimensions the librosa way: stft, hpss, yin, chroma_stft, beat_track, pyloudnorm."""
    import librosa
    import pyloudnorm

    meter = pyloudnorm.Meter(rate_hz)
    lufs = meter.integrated_loudness(audio)
    short_term = [
        meter.integrated_loudness(audio[start : start + 3 * rate_hz])
        for start in range(0, len(audio) - 3 * rate_hz, rate_hz)
    ]
    mono = librosa.resample(
        audio.mean(axis=1), orig_sr=rate_hz, target_sr=22050, res_type="soxr_hq"
    )
    stft = librosa.stft(mono, n_fft=2048, hop_length=512)
    power = np.abs(stft) ** 2
    harmonic, percussive = librosa.decompose.hpss(stft, kernel_size=31, power=2.0)
    f0 = librosa.yin(mono, fmin=65.4, fmax=2093.0, sr=22050, frame_length=2048)
    chroma = librosa.feature.chroma_stft(S=power, sr=22050)
    tempo, beats = librosa.beat.beat_track(y=mono, sr=22050)
    onsets = librosa.onset.onset_detect(y=mono, sr=22050)
    centroid = librosa.feature.spectral_centroid(S=np.abs(stft), sr=22050)
    rolloff = librosa.feature.spectral_rolloff(S=np.abs(stft), sr=22050)
    flatness = librosa.feature.spectral_flatness(S=np.abs(stft))
    return {
        "lufs": float(lufs),
        "short_term_std": float(np.std([v for v in short_term if np.isfinite(v)])),
        "harmonic_ratio": float(
            (np.abs(harmonic) ** 2).sum()
            / ((np.abs(harmonic) ** 2).sum() + (np.abs(percussive) ** 2).sum())
        ),
        "pitch_std": float(np.std(12 * np.log2(f0 / 440))),
        "chroma": float(((chroma / chroma.sum(axis=0, keepdims=True)) ** 2).sum(axis=0).mean()),
        "tempo": float(np.atleast_1d(tempo)[0]),
        "beats": float(len(beats)),
        "onsets": float(len(onsets)),
        "centroid": float(centroid.mean()),
        "rolloff": float(rolloff.mean()),
        "flatness": float(flatness.mean()),
    }


def _best_of(runs: int, function: Any, *args: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def _throughput(folder: Path, data: Path, servers: str, count: int) -> float:
    """Seconds from a scan request to every track fingerprinted, through a real server.

    One client polls every 0.1 s: a fresh httpx client per poll costs the bench enough CPU
    (certificate loading) to slow a server that has both cores busy.
    """
    server, url = serve(folder, data, "--no-scan", "--fingerprint-servers", servers)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            if servers != "none":
                deadline = time.monotonic() + 30
                while not client.get("/api/health").json()["rust_server"]["reachable"]:
                    if time.monotonic() > deadline:
                        raise SystemExit("the Rust server did not come up (make setup builds it)")
                    time.sleep(0.05)
            start = time.perf_counter()
            client.post("/api/library/scan")
            while True:
                counts = client.get("/api/fingerprints/status").json()["counts"]
                if counts["error"]:
                    raise SystemExit(f"{counts['error']} tracks failed")
                if counts["complete"] == count:
                    return time.perf_counter() - start
                time.sleep(0.1)
    finally:
        stop(server)


def _rust_times(audio: np.ndarray) -> tuple[float, float]:
    """(DSP seconds as the server reports them, whole gRPC call seconds), best of three."""
    binary = find_binary()
    if binary is None:
        raise SystemExit("auralis-dsp-server is not built: make setup")
    supervisor = DspSupervisor(binary)
    supervisor.start()
    try:
        if not supervisor.wait_until_up():
            raise SystemExit("auralis-dsp-server did not start")
        address = supervisor.address
        assert address is not None
        stub = fingerprint_pb2_grpc.FingerprinterStub(grpc.insecure_channel(address))
        samples = audio.astype(np.float32)
        stub.Compute(audio_blocks(samples[: SAMPLE_RATE_HZ * 5], SAMPLE_RATE_HZ))  # warm up
        dsp, call = [], []
        for _ in range(3):
            started = time.perf_counter()
            reply = stub.Compute(audio_blocks(samples, SAMPLE_RATE_HZ))
            call.append(time.perf_counter() - started)
            dsp.append(reply.compute_seconds)
        return min(dsp), min(call)
    finally:
        supervisor.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=16, help="tracks for the throughput runs")
    args = parser.parse_args()
    audio = render_song(SONGS[2], TRACK_S, seed=3).astype(np.float64)
    compute_fingerprint(audio[: SAMPLE_RATE_HZ * 5], SAMPLE_RATE_HZ)  # warm caches and imports
    python_s = _best_of(3, compute_fingerprint, audio, SAMPLE_RATE_HZ)
    rust_dsp_s, rust_call_s = _rust_times(audio)
    try:
        librosa_equivalent(audio[: SAMPLE_RATE_HZ * 5], SAMPLE_RATE_HZ)
        librosa_s = _best_of(1, librosa_equivalent, audio, SAMPLE_RATE_HZ)
    except ImportError:
        librosa_s = float("nan")
        print("librosa or pyloudnorm missing: pip install -e '.[dev,bench]'")
    print(f"one {TRACK_S:.0f} s stereo track, 44.1 kHz, features only")
    print(f"{'':2}{'path':<36}{'seconds':>9}{'vs librosa':>12}{'target':>16}")
    rows = [
        ("rust, DSP (server-reported)", rust_dsp_s, f"≤ {RUST_TARGET_S} s, ≥ {RUST_RATIO:.0f}×"),
        ("rust, gRPC call, samples streamed", rust_call_s, ""),
        ("python (ours)", python_s, f"≥ {TARGET_RATIO:.0f}×"),
        ("librosa equivalent", librosa_s, ""),
    ]
    for name, seconds, target in rows:
        print(f"  {name:<36}{seconds:9.3f}{librosa_s / seconds:11.1f}×{target:>16}")
    print(f"  rust DSP is {python_s / rust_dsp_s:.1f}× faster than our Python")
    with tempfile.TemporaryDirectory(prefix="auralis-bench-fp-") as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "music"
        folder.mkdir()
        for index in range(args.tracks):
            song = SONGS[index % len(SONGS)]
            soundfile.write(
                folder / f"{index:02d}.flac", render_song(song, TRACK_S, seed=index), SAMPLE_RATE_HZ
            )
        rates = {}
        for servers in ("auto", "none"):
            for sidecar in folder.glob("*.25d"):  # the other run's results, read back
                sidecar.unlink()
            elapsed = _throughput(folder, tmp / f"data-{servers}", servers, args.tracks)
            rates[servers] = args.tracks / elapsed * 60
    cores = os.cpu_count()
    print(
        f"library through the server, {args.tracks} FLACs of {TRACK_S:.0f} s, {cores} cores, "
        "decode included:"
    )
    print(f"  rust (supervised)    {rates['auto']:6.0f} tracks/min   (target ≥ {LIBRARY_TARGET})")
    print(f"  python workers       {rates['none']:6.0f} tracks/min")
    print(f"  rust / python        {rates['auto'] / rates['none']:6.1f}×")


if __name__ == "__main__":
    main()
