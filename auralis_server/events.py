"""In-process event bus feeding the SSE endpoint; publishable from any thread.

Imports: (none).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass
from typing import Any

_QUEUE_LIMIT = 256


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    data: dict[str, Any]


class EventBus:
    """Fan-out to subscribers; a slow subscriber loses its oldest events, never blocks others."""

    def __init__(self) -> None:
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(_QUEUE_LIMIT)
        with self._lock:
            self._subscribers.add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        with self._lock:
            self._subscribers = {pair for pair in self._subscribers if pair[1] is not queue}

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        event = Event(next(self._ids), kind, data)
        with self._lock:
            targets = list(self._subscribers)
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_offer, queue, event)
            except RuntimeError:  # that subscriber's loop is closed
                self.unsubscribe(queue)


def _offer(queue: asyncio.Queue[Event], event: Event) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(event)
