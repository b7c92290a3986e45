from __future__ import annotations

import asyncio

import httpx
import numpy as np
import pytest

from auralis_tui.api import AuralisClient, ClientError, ServerUnreachable, StreamRequest
from shared.wire import encode_frame


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
