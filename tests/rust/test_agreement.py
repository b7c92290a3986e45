"""The Rust server and the Python implementation agree on the same samples, dimension by
dimension: every shared test vector, every `drascula-music` and `asc-music` track (when
installed), and lossless files the server decodes itself (ComputeFile)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
import soundfile

from auralis_server.audio.source import probe, read_frames
from auralis_server.fingerprint.dsp.analysis import compute_fingerprint
from auralis_server.fingerprint.rust.stubs import fingerprint_pb2, fingerprint_pb2_grpc
from auralis_server.fingerprint.worker import fingerprint_file
from shared.dimensions import DIMENSION_NAMES
from shared.test_vectors import generate
from shared.test_vectors.signals import synthesize
from tests.conftest import write_audio
from tests.rust.conftest import RustServer

VECTORS = json.loads(generate.VECTORS_PATH.read_text())["vectors"]
REAL_MUSIC = sorted(Path("/usr/share/scummvm/drascula/audio").glob("*.ogg")) + sorted(
    Path("/usr/share/games/asc/music").glob("*.mp3")
)

# Per-dimension agreement (docs/fingerprint.md): both sides run the same definitions on the
# same samples, so they differ by float rounding — far inside these bounds — except where
# a count can move by one (an onset, a 100 ms silence frame).
TOLERANCE = {name: 1e-4 for name in DIMENSION_NAMES} | {
    "lufs": 0.01,
    "crest_db": 0.01,
    "bass_mid_ratio": 0.01,
    "tempo_bpm": 0.05,
    "transient_density": 0.006,
    "silence_ratio": 0.002,
    "dynamic_range_variation": 0.01,
    "loudness_variation_std": 0.01,
}
# Below this share of the power, a band holds only the float32 FFT's leakage noise, and a
# ratio built on it is noise on both sides.
NOISE_SHARE = 1e-6


def disagreements(python: dict[str, float], rust: dict[str, float]) -> list[str]:
    bass = python["sub_bass_pct"] + python["bass_pct"]
    mid = python["low_mid_pct"] + python["mid_pct"]
    ill_conditioned = set()
    if min(bass, mid) < NOISE_SHARE:
        ill_conditioned.add("bass_mid_ratio")
    if bass + mid + python["upper_mid_pct"] < NOISE_SHARE:
        ill_conditioned.add("chroma_energy")  # 55 Hz–5 kHz holds nothing but leakage
    return [
        f"{name}: python {python[name]:.6f}, rust {rust[name]:.6f}"
        for name in DIMENSION_NAMES
        if name not in ill_conditioned and abs(python[name] - rust[name]) > TOLERANCE[name]
    ]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_every_test_vector(vector: dict[str, Any], rust_server: RustServer) -> None:
    samples = synthesize(vector["signal"]).astype(np.float32)
    rate_hz = vector["signal"]["rate_hz"]
    python = compute_fingerprint(samples, rate_hz)
    rust = rust_server.client.compute_samples(samples, rate_hz)
    assert disagreements(python, rust) == []


@pytest.mark.slow
@pytest.mark.parametrize("path", REAL_MUSIC, ids=[p.name for p in REAL_MUSIC])
def test_real_music(path: Path, rust_server: RustServer) -> None:
    """Lossy files: the client decodes them as the server's Python path does and streams them."""
    python, _ = fingerprint_file(str(path))
    rust = rust_server.client.compute(str(path))
    assert disagreements(python, rust) == []


def test_real_music_is_installed_when_required() -> None:
    if not REAL_MUSIC:
        pytest.skip("asc-music / drascula-music not installed (make test installs them)")
    assert len(REAL_MUSIC) >= 30


@pytest.mark.parametrize(
    "name,subtype", [("a.flac", "PCM_24"), ("a.wav", "FLOAT"), ("a.aiff", "PCM_16")]
)
def test_lossless_files_decoded_by_the_server(
    name: str, subtype: str, tmp_path: Path, rust_server: RustServer
) -> None:
    path = tmp_path / name
    write_audio(path, 30.0, 48000, subtype=subtype)
    stub = fingerprint_pb2_grpc.FingerprinterStub(grpc.insecure_channel(rust_server.address))
    reply = stub.ComputeFile(fingerprint_pb2.FileRequest(track_id=7, path=str(path)), timeout=30)
    assert reply.track_id == 7 and reply.compute_seconds > 0
    rust = {name: getattr(reply, name) for name in DIMENSION_NAMES}
    python, _ = fingerprint_file(str(path))
    assert disagreements(python, rust) == []


def test_a_lossy_file_is_refused_by_compute_file_and_streamed_instead(
    tmp_path: Path, rust_server: RustServer
) -> None:
    path = tmp_path / "a.ogg"
    soundfile.write(path, np.zeros((4410, 2)) + 0.1 * np.sin(np.arange(4410) / 7.0)[:, None], 44100)
    stub = fingerprint_pb2_grpc.FingerprinterStub(grpc.insecure_channel(rust_server.address))
    with pytest.raises(grpc.RpcError) as refused:
        stub.ComputeFile(fingerprint_pb2.FileRequest(path=str(path)), timeout=30)
    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    info = probe(path)
    python = compute_fingerprint(read_frames(path, 0, info.total_frames), info.sample_rate_hz)
    assert disagreements(python, rust_server.client.compute(str(path))) == []
