"""The rendered-chunk cache: bounds, keys, single-flight renders, persistence."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from auralis_server.audio.track import TrackAudio
from auralis_server.streaming.chunk_cache import ChunkCache, DiskLru, MemoryLru
from auralis_server.streaming.plan_source import PlanSource
from auralis_server.streaming.renderer import MasteringRenderer, RenderSettings
from shared.wire import Samples
from tests.conftest import LiveServer
from tests.server.conftest import Library


def test_memory_lru_stays_within_its_bytes_and_drops_the_oldest() -> None:
    lru = MemoryLru(1000)
    for index in range(10):
        lru.put(str(index), bytes(300))
        assert lru.size_bytes <= 1000
    assert lru.get("9") is not None and lru.get("0") is None
    lru.get("7")
    lru.put("new", bytes(300))
    assert lru.get("7") is not None and lru.get("8") is None  # 8 was least recently used
    lru.put("huge", bytes(5000))
    assert lru.get("huge") is None
    assert MemoryLru(0).put("one", b"x") is None and MemoryLru(0).get("one") is None


def _chunk(index: int) -> bytes:
    return bytes([index]) * 40_000  # past diskcache's inline size: stored as a file


def test_disk_cache_stays_within_its_bytes_and_survives_a_restart(tmp_path: Path) -> None:
    capacity_bytes = 400_000
    disk = DiskLru(tmp_path / "chunks", capacity_bytes)
    for index in range(12):
        disk.put(f"k{index}", _chunk(index))
        if index == 7:
            assert disk.get("k2") == _chunk(2)  # read: now the most recently used of the old
        assert disk.size_bytes <= capacity_bytes + len(_chunk(index))  # culled before a write
    disk.close()
    reopened = DiskLru(tmp_path / "chunks", capacity_bytes)
    assert reopened.get("k11") == _chunk(11) and reopened.get("k2") == _chunk(2)
    assert reopened.get("k0") is None and reopened.get("k3") is None
    reopened.close()


def test_two_processes_share_one_disk_cache(tmp_path: Path) -> None:
    """Replicas on one cache directory see each other's chunks (diskcache's SQLite index)."""
    DiskLru(tmp_path / "chunks", 10**6).put("shared", _chunk(5))
    code = (
        "import sys; from pathlib import Path;"
        "from auralis_server.streaming.chunk_cache import DiskLru;"
        f"d = DiskLru(Path({str(tmp_path / 'chunks')!r}), 10**6);"
        "assert d.get('shared') == bytes([5]) * 40_000; d.put('other', b'y' * 50_000)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert DiskLru(tmp_path / "chunks", 10**6).get("other") == b"y" * 50_000


def test_concurrent_requests_for_one_key_render_once(tmp_path: Path) -> None:
    cache = ChunkCache(10_000, tmp_path / "chunks", 10_000)
    calls = []

    def render() -> bytes:
        calls.append(threading.get_ident())
        time.sleep(0.2)
        return b"frame"

    async def main() -> list[bytes]:
        jobs = (cache.get_or_render("key", lambda: asyncio.to_thread(render)) for _ in range(20))
        return await asyncio.gather(*jobs)

    assert asyncio.run(main()) == [b"frame"] * 20
    assert len(calls) == 1 and cache.renders == 1


class CountingRenderer(MasteringRenderer):
    def __init__(self) -> None:
        super().__init__(PlanSource())
        self.calls: list[tuple[int, str, float]] = []
        self.lock = threading.Lock()

    def render(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> Samples:
        with self.lock:
            self.calls.append((chunk_index, settings.preset, settings.intensity))
        time.sleep(0.1)  # long enough for every request to arrive while it renders
        return super().render(audio, chunk_index, settings)


def test_twenty_concurrent_clients_get_one_render_and_keys_miss_on_every_change(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    renderer = CountingRenderer()
    server = live_server(library.app(renderer))
    track_id = library.track_id("song.wav")
    url = f"{server.url}/api/tracks/{track_id}/stream"

    async def fetch_all(count: int, params: dict[str, str]) -> list[bytes]:
        async with httpx.AsyncClient(timeout=60) as client:
            responses = await asyncio.gather(
                *(client.get(url, params=params) for _ in range(count))
            )
        assert all(r.status_code == 206 for r in responses)
        return [r.content for r in responses]

    bodies = asyncio.run(fetch_all(20, {"chunks": "1-1"}))
    assert len(set(bodies)) == 1
    assert renderer.calls == [(1, "adaptive", 1.0)]

    def renders_for(params: dict[str, str]) -> int:
        before = len(renderer.calls)
        asyncio.run(fetch_all(1, params))
        return len(renderer.calls) - before

    assert renders_for({"chunks": "1-1"}) == 0  # hit
    assert renders_for({"chunks": "1-1", "preset": "warm"}) == 1  # another plan
    assert renders_for({"chunks": "1-1", "intensity": "0.5"}) == 1
    assert renders_for({"chunks": "1-1", "format": "s16"}) == 1  # another encoding
    assert renders_for({"chunks": "1-1", "preset": "warm"}) == 0
    path = library.music / "song.wav"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # touched
    assert renders_for({"chunks": "1-1"}) == 1


def test_the_disk_cache_serves_a_restarted_server(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    first = CountingRenderer()
    server = live_server(library.app(first))
    url = f"{server.url}/api/tracks/{library.track_id('hi.flac')}/stream?chunks=0-1"
    original = httpx.get(url, timeout=60).content
    assert len(first.calls) == 2
    second = CountingRenderer()
    restarted = live_server(library.app(second))
    again = httpx.get(url.replace(server.url, restarted.url), timeout=60).content
    assert again == original and second.calls == []


def test_caches_can_be_turned_off(library: Library, live_server: Callable[..., LiveServer]) -> None:
    renderer = CountingRenderer()
    server = live_server(library.app(renderer, chunk_cache_memory_mb=0, chunk_cache_disk_mb=0))
    url = f"{server.url}/api/tracks/{library.track_id('mono.wav')}/stream"
    httpx.get(url, timeout=60)
    httpx.get(url, timeout=60)
    assert len(renderer.calls) == 2  # nothing kept: every request renders


def test_head_renders_the_first_chunk_into_the_cache_and_sends_no_body(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    renderer = CountingRenderer()
    server = live_server(library.app(renderer))
    url = f"{server.url}/api/tracks/{library.track_id('song.wav')}/stream"
    head = httpx.head(url, params={"preset": "warm"}, headers={"Range": "chunks=1-2"})
    assert head.status_code == 206 and head.content == b""
    assert head.headers["content-range"] == "chunks 1-2/3"
    assert "content-length" not in head.headers
    assert renderer.calls == [(1, "warm", 1.0)]  # the first chunk only
    body = httpx.get(url, params={"preset": "warm"}, headers={"Range": "chunks=1-2"})
    assert body.status_code == 206
    assert renderer.calls == [(1, "warm", 1.0), (2, "warm", 1.0)]  # chunk 1 came from the cache
