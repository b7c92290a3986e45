"""Rendered-chunk cache (SPEC §8): a byte-bounded LRU in memory over a byte-bounded disk cache.

Keys name everything that changes the bytes — the file's size and mtime, the fingerprint
algorithm and plan versions, the plan hash, the chunk geometry, the index and the format —
so any change misses. Concurrent requests for one missing chunk share a single render.

The disk layer is diskcache (SQLite index + files): safe for several server processes on one
cache directory, least recently used entries culled past the byte limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import diskcache
from cachetools import LRUCache

log = logging.getLogger("auralis.cache")


def cache_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


class MemoryLru:
    """Least recently used chunks in memory, bounded by their total bytes."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self._items: LRUCache[str, bytes] = LRUCache(max(capacity_bytes, 1), getsizeof=len)

    @property
    def size_bytes(self) -> int:
        return int(self._items.currsize)

    def get(self, key: str) -> bytes | None:
        return self._items.get(key)

    def put(self, key: str, value: bytes) -> None:
        if len(value) <= self.capacity_bytes:
            self._items[key] = value


class DiskLru:
    """Chunks on disk within ``capacity_bytes`` (index included) plus at most one chunk: each
    write first evicts the least recently used entry while the cache is full. 0 turns it off.
    """

    def __init__(self, directory: Path, capacity_bytes: int) -> None:
        self._cache = (
            diskcache.Cache(
                str(directory),
                size_limit=capacity_bytes,
                eviction_policy="least-recently-used",
                cull_limit=1,
            )
            if capacity_bytes > 0
            else None
        )
        self.capacity_bytes = capacity_bytes

    @property
    def size_bytes(self) -> int:
        return int(self._cache.volume()) if self._cache is not None else 0

    def get(self, key: str) -> bytes | None:
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key, retry=True)
        except OSError as exc:
            log.warning("disk cache read failed: %s", exc)
            return None
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes) -> None:
        if self._cache is None or len(value) > self.capacity_bytes:
            return
        try:
            self._cache.set(key, value, retry=True)
        except OSError as exc:
            log.warning("disk cache write failed: %s", exc)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


class ChunkCache:
    def __init__(self, memory_bytes: int, disk_dir: Path, disk_bytes: int) -> None:
        self.memory = MemoryLru(memory_bytes)
        self.disk = DiskLru(disk_dir, disk_bytes)
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
        self.renders = 0

    async def get_or_render(self, key: str, render: Callable[[], bytes]) -> bytes:
        """The cached bytes, or ``render()`` run once (in a thread) however many ask at once.

        The fill runs as its own task, so a client that hangs up does not cancel a render
        another client is waiting for.
        """
        cached = self.memory.get(key)
        if cached is not None:
            return cached
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fill(key, render))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settled(key, done))
        return await asyncio.shield(task)

    def _settled(self, key: str, task: asyncio.Future[bytes]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # mark it retrieved even if every waiter has gone

    async def _fill(self, key: str, render: Callable[[], bytes]) -> bytes:
        data = await asyncio.to_thread(self.disk.get, key)
        if data is None:
            self.renders += 1
            data = await asyncio.to_thread(render)
            await asyncio.to_thread(self.disk.put, key, data)
        self.memory.put(key, data)
        return data

    def close(self) -> None:
        self.disk.close()
