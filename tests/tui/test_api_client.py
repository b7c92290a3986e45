from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import httpx
import numpy as np
import pytest

from auralis_tui.api import AuralisClient, ClientError, ServerUnreachable, StreamRequest
from shared.wire import encode_frame
from tests.conftest import LiveServer
from tests.server.conftest import Library


def _frame(index: int, count: int = 3) -> bytes:
    samples = np.full((100, 2), index / 10, dtype=np.float32)
    return encode_frame(
        samples, chunk_index=index, chunk_count=count, sample_rate_hz=8000, core_frames=90
    )


def test_a_dropped_stream_resumes_at_the_next_chunk() -> None:
    ranges: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        spec = request.headers["range"]
        ranges.append(spec)
        if spec == "chunks=0-":  # the connection drops in the middle of chunk 1
            body = _frame(0) + _frame(1)[:60]
            return httpx.Response(206, headers={"Content-Range": "chunks 0-2/3"}, content=body)
        return httpx.Response(
            206, headers={"Content-Range": "chunks 1-2/3"}, content=_frame(1) + _frame(2)
        )

    async def collect() -> list[int]:
        client = AuralisClient(
            "http://test", transport=httpx.MockTransport(handler), retry_delays_s=(0.0,)
        )
        async with client:
            return [f.header.chunk_index async for f in client.frames(StreamRequest(7))]

    assert asyncio.run(collect()) == [0, 1, 2]
    assert ranges == ["chunks=0-", "chunks=1-2"]


def test_the_player_waits_for_a_restarting_server_to_learn_the_next_track() -> None:
    """QA: `n` while the server was down ended the run for good. The player's metadata fetch
    waits for the server, shown as reconnecting; a one-off call still fails at once."""
    down_for = [2]
    seen_reconnecting: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if down_for[0]:
            down_for[0] -= 1
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"id": 9, "title": "back"})

    async def call() -> dict[str, object]:
        client = AuralisClient(
            "http://test", transport=httpx.MockTransport(handler), retry_delays_s=(0.0, 0.0, 0.0)
        )
        async with client:
            waiting = asyncio.create_task(client.track(9, wait_for_server=True))
            while not waiting.done():
                seen_reconnecting.append(client.reconnecting)
                await asyncio.sleep(0)
            assert not client.reconnecting and client.retry_attempt == 0
            return await waiting

    assert asyncio.run(call())["title"] == "back"
    assert True in seen_reconnecting

    async def at_once() -> None:
        down_for[0] = 1
        async with AuralisClient("http://test", transport=httpx.MockTransport(handler)) as client:
            await client.track(9)

    with pytest.raises(ServerUnreachable):
        asyncio.run(at_once())


def test_errors_are_one_line() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "not_found", "detail": "no track with id 9"})

    async def call() -> None:
        async with AuralisClient("http://test", transport=httpx.MockTransport(handler)) as client:
            await client.track(9)

    with pytest.raises(ClientError, match="server said 404: no track with id 9"):
        asyncio.run(call())

    async def unreachable() -> None:
        async with AuralisClient("http://127.0.0.1:9", retry_delays_s=()) as client:
            await client.tracks()

    with pytest.raises(ServerUnreachable, match="cannot reach http://127.0.0.1:9"):
        asyncio.run(unreachable())


def test_a_multi_line_data_field_is_joined_with_newlines_as_the_sse_spec_says() -> None:
    # WHATWG SSE: the data lines of one event are joined with "\n", and one leading space
    # after "data:" is dropped. A pretty-printed object parses; a number split across two
    # lines is "1\n2", not JSON, and must be skipped, never read as track 12.
    stream = (
        "retry: 3000\n\n"
        ": keep-alive\n\n"
        "event: scan\n"
        "data: {\n"
        'data:   "state": "finished",\n'
        'data:   "started_at": "2026-01-01T00:00:00"\n'
        "data: }\n\n"
        "event: fingerprint\n"
        'data: {"track_id": 1\n'
        'data: 2, "status": "error"}\n\n'
        "event: fingerprint\n"
        'data: {"track_id": 3, "status": "complete"}\n\n'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/events"
        return httpx.Response(
            200, headers={"Content-Type": "text/event-stream"}, content=stream.encode()
        )

    async def collect() -> list[tuple[str, dict[str, object]]]:
        async with AuralisClient("http://test", transport=httpx.MockTransport(handler)) as client:
            return [event async for event in client.events()]

    assert asyncio.run(collect()) == [
        ("scan", {"state": "finished", "started_at": "2026-01-01T00:00:00"}),
        ("fingerprint", {"track_id": 3, "status": "complete"}),
    ]


def test_a_server_going_away_is_known_from_the_event_stream_at_once(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """The TUI shows "reconnecting" when the events stream breaks, not ~20 s later when the
    buffer runs low and a chunk fetch fails."""
    server = live_server(library.app())

    async def run() -> bool:
        async with AuralisClient(server.url) as client:
            events = client.events()
            await anext(events)  # the scan snapshot: connected
            assert not client.server_lost
            server.stop()
            with contextlib.suppress(ClientError):
                async for _ in events:
                    pass
            return client.server_lost

    assert asyncio.run(asyncio.wait_for(run(), 10))
