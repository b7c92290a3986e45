"""Server-Sent Events: scan progress and fingerprint status changes (sse-starlette framing)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.routing import Route

from auralis_server.events import Event
from auralis_server.http.state import state_of

KEEPALIVE_SECONDS = 15
RECONNECT_MS = 3000


def _message(event: Event) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps(event.data, default=str), event=event.kind, id=str(event.id)
    )


async def events(request: Request) -> EventSourceResponse:
    state = state_of(request)
    queue = state.bus.subscribe()
    snapshot = Event(0, "scan", state.scans.progress.as_dict())

    async def body() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(retry=RECONNECT_MS)
            yield _message(snapshot)
            while True:
                yield _message(await queue.get())
        finally:
            state.bus.unsubscribe(queue)

    return EventSourceResponse(
        body(), ping=KEEPALIVE_SECONDS, headers={"Cache-Control": "no-cache"}
    )


routes = [Route("/api/events", events)]
