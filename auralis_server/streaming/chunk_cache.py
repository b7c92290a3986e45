"""Rendered-chunk cache (SPEC §8): a byte-bounded LRU in memory over a byte-bounded disk cache.

Keys name everything that changes the bytes — the file's size and mtime, the fingerprint
algorithm and plan versions, the plan hash, the chunk geometry, the index and the format —
so any change misses. Concurrent requests for one missing chunk share a single render.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("auralis.cache")


def cache_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


class _MemoryLru:
    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self.size_bytes = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.capacity_bytes:
            return
        old = self._items.pop(key, None)
        self.size_bytes -= len(old) if old is not None else 0
        self._items[key] = value
        self.size_bytes += len(value)
        while self.size_bytes > self.capacity_bytes:
            _, evicted = self._items.popitem(last=False)
            self.size_bytes -= len(evicted)


class _DiskLru:
    """Files named by key; least recently used (by mtime, touched on read) go first."""

    def __init__(self, directory: Path, capacity_bytes: int) -> None:
        self.directory = directory
        self.capacity_bytes = capacity_bytes
        self._lock = threading.Lock()
        self._sizes: dict[str, int] = {}
        if capacity_bytes > 0:
            directory.mkdir(parents=True, exist_ok=True)
            for entry in os.scandir(directory):
                if entry.name.endswith(".chunk"):
                    self._sizes[entry.name[:-6]] = entry.stat().st_size

    @property
    def size_bytes(self) -> int:
        return sum(self._sizes.values())

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.chunk"

    def get(self, key: str) -> bytes | None:
        if key not in self._sizes:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
            os.utime(path)
        except OSError:
            with self._lock:
                self._sizes.pop(key, None)
            return None
        return data

    def put(self, key: str, value: bytes) -> None:
        if self.capacity_bytes <= 0 or len(value) > self.capacity_bytes:
            return
        path = self._path(key)
        temporary = path.with_suffix(f".tmp{threading.get_ident()}")
        try:
            temporary.write_bytes(value)
            os.replace(temporary, path)
        except OSError as exc:
            log.warning("disk cache write failed: %s", exc)
            return
        with self._lock:
            self._sizes[key] = len(value)
            if sum(self._sizes.values()) > self.capacity_bytes:
                self._evict()

    def _evict(self) -> None:
        by_age = sorted(self._sizes, key=lambda k: self._mtime(k))
        total = sum(self._sizes.values())
        for key in by_age:
            if total <= self.capacity_bytes:
                break
            total -= self._sizes.pop(key)
            try:
                self._path(key).unlink()
            except OSError:
                pass

    def _mtime(self, key: str) -> float:
        try:
            return self._path(key).stat().st_mtime
        except OSError:
            return 0.0


class ChunkCache:
    def __init__(self, memory_bytes: int, disk_dir: Path, disk_bytes: int) -> None:
        self.memory = _MemoryLru(memory_bytes)
        self.disk = _DiskLru(disk_dir, disk_bytes)
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
        data = await run_in_threadpool(self.disk.get, key)
        if data is None:
            self.renders += 1
            data = await run_in_threadpool(render)
            await run_in_threadpool(self.disk.put, key, data)
        self.memory.put(key, data)
        return data
