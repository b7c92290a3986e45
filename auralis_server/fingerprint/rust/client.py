"""The client of the Rust fingerprint server(s): ``RemoteFingerprinter`` for the queue.

A file on this machine goes by path (``ComputeFile``; the server decodes it); a format the
server cannot decode, or a server on another host, gets the samples decoded here streamed
as ≈ 1 MiB blocks of float32 (``Compute``), sliced from the decoded array through a
memoryview. Several addresses are used in turn (round robin). Every call has a deadline
that grows with the track's length; any failure raises, and the queue falls back to the
Python implementation.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import grpc
import numpy as np
import numpy.typing as npt
from grpc_health.v1 import health_pb2, health_pb2_grpc

from auralis_server.audio.source import probe, read_frames
from auralis_server.config import is_loopback
from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION
from auralis_server.fingerprint.rust.stubs import fingerprint_pb2, fingerprint_pb2_grpc
from shared.dimensions import DIMENSION_NAMES

BLOCK_BYTES = 1 << 20
BASE_DEADLINE_S = 10.0
DEADLINE_PER_AUDIO_S = 0.05  # 20× real time is far slower than the server ever is
HEALTH_TIMEOUT_S = 0.5
_MAX_MESSAGE_BYTES = 16 * 2**20
_SERVICE = "auralis.fingerprint.v1.Fingerprinter"
# Codes by which ComputeFile says "I cannot decode this file": the samples are sent instead.
_DECODE_REFUSALS = (
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
)


class RustFingerprintError(RuntimeError):
    """The Rust server gave no fingerprint (unreachable, crashed, timed out, refused)."""


@contextlib.contextmanager
def _as_fingerprint_error(address: str) -> Iterator[None]:
    try:
        yield
    except grpc.RpcError as exc:
        raise RustFingerprintError(f"{address}: {exc.code().name}: {exc.details()}") from None


def _deadline_s(audio_s: float) -> float:
    return BASE_DEADLINE_S + DEADLINE_PER_AUDIO_S * audio_s


def audio_blocks(
    samples: npt.NDArray[np.float32], rate_hz: int, track_id: int = 0
) -> Iterator[fingerprint_pb2.AudioBlock]:
    """The ``Compute`` request stream: header first, then whole frames, ≈ 1 MiB a block."""
    audio = np.ascontiguousarray(samples, dtype="<f4")
    if audio.ndim == 1:
        audio = audio[:, None]
    frames, channels = audio.shape
    header = fingerprint_pb2.AudioHeader(
        track_id=track_id, sample_rate_hz=rate_hz, channels=channels
    )
    view = memoryview(audio.reshape(-1)).cast("B")
    frame_bytes = 4 * channels
    step = max(1, BLOCK_BYTES // frame_bytes) * frame_bytes
    yield fingerprint_pb2.AudioBlock(header=header, pcm_f32le=bytes(view[:step]))
    for start in range(step, len(view), step):
        yield fingerprint_pb2.AudioBlock(pcm_f32le=bytes(view[start : start + step]))


def values_of(reply: fingerprint_pb2.Fingerprint) -> dict[str, float]:
    if reply.algorithm_version != ALGORITHM_VERSION:
        raise RustFingerprintError(
            f"the Rust server computes algorithm version {reply.algorithm_version}, "
            f"not {ALGORITHM_VERSION}"
        )
    return {name: float(getattr(reply, name)) for name in DIMENSION_NAMES}


class RustFingerprinter:
    """Fingerprints through one or more Rust servers; ``addresses`` is read at every call,
    so a supervised server that restarted on another port is found again."""

    source = "rust"

    def __init__(self, addresses: Callable[[], Sequence[str]]) -> None:
        self._addresses = addresses
        self._turn = itertools.count()
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def _channel(self, address: str) -> grpc.Channel:
        with self._lock:
            channel = self._channels.get(address)
            if channel is None:
                channel = grpc.insecure_channel(
                    address,
                    options=[
                        ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
                        ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
                    ],
                )
                self._channels[address] = channel
            return channel

    def _next_address(self) -> str:
        addresses = list(self._addresses())
        if not addresses:
            raise RustFingerprintError("no Rust fingerprint server is up")
        return addresses[next(self._turn) % len(addresses)]

    def _stub(self) -> tuple[str, fingerprint_pb2_grpc.FingerprinterStub]:
        address = self._next_address()
        return address, fingerprint_pb2_grpc.FingerprinterStub(self._channel(address))

    def compute(self, path: str, track_id: int = 0) -> dict[str, float]:
        info = probe(Path(path))
        deadline_s = _deadline_s(info.duration_seconds)
        address, stub = self._stub()
        started = time.monotonic()
        with _as_fingerprint_error(address):
            if is_loopback(address.rsplit(":", 1)[0]):
                try:
                    request = fingerprint_pb2.FileRequest(track_id=track_id, path=str(path))
                    return values_of(stub.ComputeFile(request, timeout=deadline_s))
                except grpc.RpcError as exc:
                    if exc.code() not in _DECODE_REFUSALS:
                        raise
            samples = read_frames(Path(path), 0, info.total_frames)
            remaining_s = max(1.0, deadline_s - (time.monotonic() - started))
            blocks = audio_blocks(samples, info.sample_rate_hz, track_id)
            return values_of(stub.Compute(blocks, timeout=remaining_s))

    def compute_samples(self, samples: npt.NDArray[np.float32], rate_hz: int) -> dict[str, float]:
        """The fingerprint of samples already in memory (tests and benches compare with it)."""
        address, stub = self._stub()
        with _as_fingerprint_error(address):
            blocks = audio_blocks(samples, rate_hz)
            return values_of(stub.Compute(blocks, timeout=_deadline_s(len(samples) / rate_hz)))

    def reachable(self) -> list[str]:
        """The addresses whose health service answers SERVING now."""
        serving = []
        for address in self._addresses():
            stub = health_pb2_grpc.HealthStub(self._channel(address))
            try:
                reply = stub.Check(
                    health_pb2.HealthCheckRequest(service=_SERVICE), timeout=HEALTH_TIMEOUT_S
                )
            except grpc.RpcError:
                continue
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                serving.append(address)
        return serving

    def close(self) -> None:
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            channel.close()
