"""Server-Sent Events: scan progress and fingerprint status changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from auralis_server.events import Event
from auralis_server.http.state import state_of

KEEPALIVE_SECONDS = 15.0


async def events(request: Request) -> StreamingResponse:
    state = state_of(request)
    queue = state.bus.subscribe()
    snapshot = Event(0, "scan", state.scans.progress.as_dict())

    async def body() -> AsyncIterator[str]:
        try:
            yield "retry: 3000\n\n"
            yield snapshot.to_sse()
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield event.to_sse()
        finally:
            state.bus.unsubscribe(queue)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


routes = [Route("/api/events", events)]
