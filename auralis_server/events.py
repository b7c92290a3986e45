"""The event bus feeding the SSE endpoint, publishable from any thread; with PostgreSQL, the
events of every server sharing the database (LISTEN/NOTIFY), so a client sees the scan and
fingerprint progress of whichever server does the work (psycopg is imported only when a
``PostgresRelay`` is made).

Imports: (none).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import queue as queues
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("auralis.events")

_QUEUE_LIMIT = 256
CHANNEL = "auralis_events"
_PAYLOAD_LIMIT_BYTES = 7999
"""PostgreSQL refuses a NOTIFY payload of 8000 bytes or more."""
_PART_BYTES = 5000
"""Raw bytes per part of a longer message: base64 (4/3) plus the envelope stay under the limit."""
_RECONNECT_S = (0.5, 1.0, 2.0, 5.0)


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
        self._relay: PostgresRelay | None = None

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(_QUEUE_LIMIT)
        with self._lock:
            self._subscribers.add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        with self._lock:
            self._subscribers = {pair for pair in self._subscribers if pair[1] is not queue}

    def attach(self, relay: PostgresRelay | None) -> None:
        """Also send every event published here to the other servers (None: stop)."""
        self._relay = relay

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """An event of this server: to its subscribers, and to the other servers' if relayed."""
        self.deliver(kind, data)
        relay = self._relay
        if relay is not None:
            relay.send(kind, data)

    def deliver(self, kind: str, data: dict[str, Any]) -> None:
        """To this server's subscribers only (what the relay does with other servers' events)."""
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


Connect = Callable[[], "psycopg.Connection[Any]"]
Deliver = Callable[[str, dict[str, Any]], None]


def encode(origin: str, sequence: int, kind: str, data: dict[str, Any]) -> list[str]:
    """The NOTIFY payloads of one event: one when it fits, else numbered base64 parts."""
    whole = json.dumps({"o": origin, "k": kind, "d": data}, default=str, ensure_ascii=False)
    raw = whole.encode()
    if len(raw) <= _PAYLOAD_LIMIT_BYTES:
        return [whole]
    pieces = [raw[at : at + _PART_BYTES] for at in range(0, len(raw), _PART_BYTES)]
    return [
        json.dumps(
            {
                "o": origin,
                "m": sequence,
                "i": index,
                "n": len(pieces),
                "b": base64.b64encode(piece).decode(),
            }
        )
        for index, piece in enumerate(pieces)
    ]


class Reassembler:
    """Turns payloads back into (origin, kind, data); parts wait for their siblings."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, int], dict[int, bytes]] = {}

    def take(self, payload: str) -> tuple[str, str, dict[str, Any]] | None:
        message = json.loads(payload)
        if "b" in message:
            key = (message["o"], message["m"])
            parts = self._parts.setdefault(key, {})
            parts[message["i"]] = base64.b64decode(message["b"])
            if len(parts) < message["n"]:
                return None
            del self._parts[key]
            message = json.loads(b"".join(parts[i] for i in range(message["n"])))
        return message["o"], message["k"], message["d"]


class PostgresRelay:
    """Sends this server's events with NOTIFY and delivers the other servers' to ``deliver``.

    Two connections of its own (autocommit, outside the pool): one LISTENs for as long as the
    server runs, one sends. Sending happens on a thread of its own, in publishing order, so a
    publisher never waits for the database; while the database is unreachable the other
    servers miss events (this server's own clients do not), and both connections come back.
    """

    def __init__(self, connect: Connect, origin: str, deliver: Deliver) -> None:
        self._connect = connect
        self.origin = origin
        self._deliver = deliver
        self._outbox: queues.SimpleQueue[tuple[str, dict[str, Any]] | None] = queues.SimpleQueue()
        self._sequence = itertools.count()
        self._stopping = threading.Event()
        self._listener: psycopg.Connection[Any] | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> PostgresRelay:
        """LISTEN before returning: an event sent after this reaches this server."""
        self._listener = self._listen()
        self._threads = [
            threading.Thread(target=self._receive, name="events-listen", daemon=True),
            threading.Thread(target=self._send_loop, name="events-notify", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(5)

    def send(self, kind: str, data: dict[str, Any]) -> None:
        self._outbox.put((kind, data))

    def _listen(self) -> psycopg.Connection[Any]:
        connection = self._connect()
        connection.execute(f"LISTEN {CHANNEL}")
        return connection

    def _receive(self) -> None:
        import psycopg

        parts = Reassembler()
        failures = 0
        while not self._stopping.is_set():
            try:
                if self._listener is None:
                    self._listener = self._listen()
                    failures = 0
                for note in self._listener.notifies(timeout=0.5):
                    message = parts.take(note.payload)
                    if message is not None and message[0] != self.origin:
                        self._deliver(message[1], message[2])
            except psycopg.Error as exc:
                log.warning("event listener lost the database (%s); reconnecting", exc)
                self._close_listener()
                self._stopping.wait(_RECONNECT_S[min(failures, len(_RECONNECT_S) - 1)])
                failures += 1
        self._close_listener()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _send_loop(self) -> None:
        import psycopg

        sender: psycopg.Connection[Any] | None = None
        while (item := self._outbox.get()) is not None:
            kind, data = item
            payloads = encode(self.origin, next(self._sequence), kind, data)
            try:
                if sender is None:
                    sender = self._connect()
                for payload in payloads:
                    sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
            except psycopg.Error as exc:
                log.warning("a %s event did not reach the other servers: %s", kind, exc)
                if sender is not None:
                    sender.close()
                sender = None
        if sender is not None:
            sender.close()
