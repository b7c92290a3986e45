"""The gRPC surface of `auralis-dsp-server`: Info, the standard health service, bad requests,
and the client's refusal of another algorithm version."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION
from auralis_server.fingerprint.rust.client import (
    RustFingerprinter,
    RustFingerprintError,
    values_of,
)
from auralis_server.fingerprint.rust.stubs import fingerprint_pb2, fingerprint_pb2_grpc
from tests.rust.conftest import RustServer


def _stub(server: RustServer) -> fingerprint_pb2_grpc.FingerprinterStub:
    return fingerprint_pb2_grpc.FingerprinterStub(grpc.insecure_channel(server.address))


def test_info_names_the_crate_and_the_algorithm_version(rust_server: RustServer) -> None:
    cargo_toml = (Path(__file__).resolve().parents[2] / "rust-dsp" / "Cargo.toml").read_text()
    reply = _stub(rust_server).Info(fingerprint_pb2.InfoRequest(), timeout=5)
    assert f'version = "{reply.crate_version}"' in cargo_toml
    assert reply.algorithm_version == ALGORITHM_VERSION


def test_the_standard_health_service_says_serving(rust_server: RustServer) -> None:
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(rust_server.address))
    for service in ("", "auralis.fingerprint.v1.Fingerprinter"):
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert rust_server.client.reachable() == [rust_server.address]


def _blocks(*blocks: fingerprint_pb2.AudioBlock) -> list[fingerprint_pb2.AudioBlock]:
    return list(blocks)


@pytest.mark.parametrize(
    "blocks,message",
    [
        (_blocks(), "no block"),
        (_blocks(fingerprint_pb2.AudioBlock(pcm_f32le=b"\0" * 8)), "no header"),
        (
            _blocks(
                fingerprint_pb2.AudioBlock(
                    header=fingerprint_pb2.AudioHeader(sample_rate_hz=0, channels=2)
                )
            ),
            "bad header",
        ),
        (
            _blocks(
                fingerprint_pb2.AudioBlock(
                    header=fingerprint_pb2.AudioHeader(sample_rate_hz=44100, channels=2),
                    pcm_f32le=b"\0" * 6,
                )
            ),
            "whole number of float32",
        ),
        (
            _blocks(
                fingerprint_pb2.AudioBlock(
                    header=fingerprint_pb2.AudioHeader(sample_rate_hz=44100, channels=2),
                    pcm_f32le=np.zeros(3, "<f4").tobytes(),
                )
            ),
            "whole frames",
        ),
    ],
    ids=["empty", "no-header", "zero-rate", "torn-sample", "torn-frame"],
)
def test_bad_streams_are_refused_with_a_reason(
    blocks: list[fingerprint_pb2.AudioBlock], message: str, rust_server: RustServer
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _stub(rust_server).Compute(iter(blocks), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (refused.value.details() or "")
    # The server is still there for the next client.
    assert rust_server.client.reachable() == [rust_server.address]


def test_another_algorithm_version_is_not_taken(rust_server: RustServer) -> None:
    reply = fingerprint_pb2.Fingerprint(algorithm_version=ALGORITHM_VERSION + 1)
    with pytest.raises(RustFingerprintError, match="algorithm version"):
        values_of(reply)


def test_an_unreachable_server_raises_at_once() -> None:
    client = RustFingerprinter(lambda: ["127.0.0.1:9"])  # discard port: nothing listens
    with pytest.raises(RustFingerprintError, match="UNAVAILABLE"):
        client.compute_samples(np.zeros((4410, 2), np.float32), 44100)
    assert client.reachable() == []
    client.close()


def test_off_loopback_the_server_reads_no_files(rust_binary: Path, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [str(rust_binary), "--listen", "0.0.0.0:0", "--exit-with-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip().rsplit(":", 1)[1]
        stub = fingerprint_pb2_grpc.FingerprinterStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        with pytest.raises(grpc.RpcError) as refused:
            stub.ComputeFile(fingerprint_pb2.FileRequest(path="/etc/passwd"), timeout=5)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        process.terminate()
        process.wait(10)
        for stream in (process.stdin, process.stdout):
            assert stream is not None
            stream.close()
