"""Bounded memory (issue 16 item 5): slow readers and clients that hang up mid-stream, against
a real server process whose resident memory is read from /proc.

A slow reader is a raw socket with a small receive buffer that reads 1 KB at a time; the
server must hold at most a few frames for it, and give the memory back once it has gone.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from auralis_server.streaming.chunk_cache import ChunkCache
from auralis_server.streaming.frames import in_pieces
from tests.conftest import write_audio
from tests.server.conftest import ServerProcess

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the server's memory from /proc"
)

READERS = 20
HANG_UPS = 30
ALLOWED_GROWTH_MB = 50.0  # the spec's bound: RSS within 50 MB of idle
READ_BYTES = 1024
READ_ROUNDS = 8
RECEIVE_BUFFER_BYTES = 4096


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def open_sockets(pid: int) -> int:
    """How many sockets process ``pid`` has open (listening one included)."""
    count = 0
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(entry).startswith("socket:")
        except OSError:
            continue  # closed while we looked
    return count


def wait_for_sockets(pid: int, expected: int, timeout_s: float = 30.0) -> None:
    """Until the server has closed every connection but ``expected`` sockets: the event
    that says it has seen the clients go (nothing else tells an outsider)."""
    deadline = time.monotonic() + timeout_s
    while open_sockets(pid) > expected:
        assert time.monotonic() < deadline, f"server still has {open_sockets(pid)} sockets"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, int]]:
    """A real `auralis-server serve` on one CD-quality minute (6 frames of 3.5 MB as f32).

    The memory cache is small (16 MB, counted in the growth allowed) so that it cannot
    hold the readers' frames: they must be sent from the disk cache, not kept per reader.
    """
    root = tmp_path_factory.mktemp("slow")
    write_audio(root / "music" / "minute.wav", 60.0, 44100)
    process = ServerProcess(
        "--music",
        str(root / "music"),
        "--data-dir",
        str(root / "data"),
        "--cache-dir",
        str(root / "cache"),
        "--fingerprint-workers",
        "0",
        "--fingerprint-servers",
        "none",
        "--chunk-cache-memory-mb",
        "16",
    )
    try:
        process.wait_for_scan()
        with urllib.request.urlopen(f"{process.url}/api/tracks") as response:
            track_id = int(json.load(response)["tracks"][0]["id"])
        yield process, track_id
    finally:
        process.stop()


def _start_stream(url: str, path: str, receive_buffer_bytes: int | None = None) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    if receive_buffer_bytes is not None:  # before connect, so the window starts small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
    sock.settimeout(60)
    sock.connect((host, int(port)))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        piece = sock.recv(count - len(data))
        assert piece, "the server closed the stream"
        data += piece
    return data


def _warm(url: str, path: str) -> None:
    """A HEAD: the plan made and the first frame rendered into the cache, as a client about
    to play asks; what the readers then add is theirs alone."""
    with urllib.request.urlopen(urllib.request.Request(url + path, method="HEAD")) as response:
        assert response.status == 200


@linux_only
def test_slow_readers_hold_a_few_frames_and_give_memory_back(
    server: tuple[ServerProcess, int],
) -> None:
    process, track_id = server
    pid = process.process.pid
    path = f"/api/tracks/{track_id}/stream"
    _warm(process.url, path)
    idle_sockets = open_sockets(pid)
    idle_mb = rss_mb(pid)

    # Each its own intensity: nothing shared, every reader has frames of its own.
    readers = [
        _start_stream(process.url, f"{path}?intensity={0.3 + n * 0.01:.2f}", RECEIVE_BUFFER_BYTES)
        for n in range(READERS)
    ]
    try:
        head = [_read_exactly(sock, READ_BYTES) for sock in readers]
        assert all(data.startswith(b"HTTP/1.1 200") for data in head)
        peak_mb = rss_mb(pid)
        for _ in range(READ_ROUNDS):
            time.sleep(1.0)  # the pace of a reader at 1 KB/s, not a wait for an event
            for sock in readers:
                _read_exactly(sock, READ_BYTES)
            peak_mb = max(peak_mb, rss_mb(pid))
    finally:
        for sock in readers:
            sock.close()
    wait_for_sockets(pid, idle_sockets)
    left_mb = rss_mb(pid)
    print(f"idle {idle_mb:.1f} MB, {READERS} slow readers {peak_mb:.1f} MB, after {left_mb:.1f} MB")
    assert peak_mb - idle_mb < ALLOWED_GROWTH_MB
    assert left_mb - idle_mb < ALLOWED_GROWTH_MB


@linux_only
def test_clients_hanging_up_mid_stream_leave_no_growth(
    server: tuple[ServerProcess, int],
) -> None:
    """Each its own intensity, so each renders (nothing shared): hanging up after part of
    the first frame must not leave renders or buffers behind."""
    process, track_id = server
    pid = process.process.pid
    base = f"/api/tracks/{track_id}/stream"
    _warm(process.url, f"{base}?intensity=0.05")
    idle_sockets = open_sockets(pid)
    idle_mb = rss_mb(pid)
    for number in range(HANG_UPS):
        sock = _start_stream(process.url, f"{base}?intensity={0.1 + number * 0.01:.2f}")
        _read_exactly(sock, 64 * 1024)
        sock.close()
    wait_for_sockets(pid, idle_sockets)
    left_mb = rss_mb(pid)
    print(f"idle {idle_mb:.1f} MB, after {HANG_UPS} hang-ups {left_mb:.1f} MB")
    assert left_mb - idle_mb < ALLOWED_GROWTH_MB


class CountingRender:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls = 0

    async def __call__(self) -> bytes:
        self.calls += 1
        return self.data


async def _ready(data: bytes) -> bytes:
    """A render that is done at once (the cache awaits its renders)."""
    return data


async def _settle() -> None:
    """Every other task of the loop run to its end (the cache's fills included)."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    await asyncio.gather(*others, return_exceptions=True)


def test_a_render_another_client_waits_for_outlives_one_who_leaves(tmp_path: Path) -> None:
    render = CountingRender(b"frame")

    async def one_leaves() -> bytes:
        cache = ChunkCache(2**20, tmp_path / "cache", 0)
        leaving = asyncio.ensure_future(cache.get_or_render("shared", render))
        staying = asyncio.ensure_future(cache.get_or_render("shared", render))
        await asyncio.sleep(0)
        leaving.cancel()
        data = await staying
        again = await cache.get_or_render("shared", render)  # from memory now
        assert again is data
        return data

    assert asyncio.run(one_leaves()) == b"frame"
    assert render.calls == 1


async def _take(pieces: AsyncIterator[bytes], count: int) -> list[bytes]:
    return [await anext(pieces) for _ in range(count)]


@pytest.mark.parametrize("disk_bytes", [2**24, 0])
def test_a_frame_goes_out_in_pieces_from_memory_then_from_disk_once_evicted(
    tmp_path: Path, disk_bytes: int
) -> None:
    """Evicted from memory mid-frame, the rest comes from the disk cache's file; with no disk
    cache the stream keeps the frame itself. Either way the pieces join into the frame."""
    frame = np.random.default_rng(3).bytes(300_000)
    other = np.random.default_rng(4).bytes(300_000)

    async def send() -> list[bytes]:
        cache = ChunkCache(400_000, tmp_path / "cache", disk_bytes)
        data = await cache.get_or_render("frame", lambda: _ready(frame))
        pieces = cache.pieces("frame", data, 65536)
        del data
        sent = await _take(pieces, 2)
        await cache.get_or_render("other", lambda: _ready(other))  # pushes "frame" out of memory
        assert cache.memory.peek("frame") is None
        sent += [piece async for piece in pieces]
        cache.close()
        return sent

    sent = asyncio.run(send())
    assert b"".join(sent) == frame
    assert [len(piece) for piece in sent] == [65536] * 4 + [300_000 - 4 * 65536]


def test_a_frame_never_kept_in_memory_is_read_from_disk_not_held(tmp_path: Path) -> None:
    """With no memory cache the bytes handed in are let go at once: the pieces are the disk
    cache's (a stand-in of the same length shows which were sent)."""
    frame = np.random.default_rng(5).bytes(200_000)

    async def send() -> bytes:
        cache = ChunkCache(0, tmp_path / "cache", 2**24)
        await cache.get_or_render("frame", lambda: _ready(frame))
        stand_in = bytes(len(frame))
        sent = b"".join([piece async for piece in cache.pieces("frame", stand_in, 65536)])
        cache.close()
        return sent

    assert asyncio.run(send()) == frame


def test_chunks_made_on_the_fly_go_out_in_pieces_that_join_into_them() -> None:
    chunks = [bytes(range(256)) * 1000, b"", b"short", bytes(300_000)]

    async def pieces() -> list[bytes]:
        async def source() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return [piece async for piece in in_pieces(source(), piece_bytes=65536)]

    got = asyncio.run(pieces())
    assert b"".join(got) == b"".join(chunks)
    assert max(len(piece) for piece in got) == 65536
