"""A server behind on renders that listeners need now turns read-ahead away with 503 and a
Retry-After (issue 16: start-up latency must not grow without bound)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from auralis_server.audio.track import TrackAudio
from auralis_server.streaming.renderer import IdentityRenderer, RenderSettings
from shared.wire import Samples
from tests.conftest import LiveServer
from tests.server.conftest import Library


class HeldRenderer(IdentityRenderer):
    """Every render waits until the test lets go (the one render thread stays busy)."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.started = threading.Semaphore(0)

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        self.started.release()
        assert self.released.wait(timeout=30)
        return super().render(audio, chunk_index, plan)


def test_read_ahead_is_turned_away_while_renders_due_now_wait(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    renderer = HeldRenderer()
    app = library.app(renderer, render_processes=1)  # one render thread
    server, pool = live_server(app), app.state.auralis.renders
    song, hi = library.track_id("song.wav"), library.track_id("hi.flac")
    answers: dict[str, int] = {}

    def listen(name: str, track_id: int) -> None:
        response = httpx.get(f"{server.url}/api/tracks/{track_id}/stream", timeout=30)
        answers[name] = response.status_code

    listeners = [
        threading.Thread(target=listen, args=("first", song)),  # takes the render thread
        threading.Thread(target=listen, args=("second", hi)),  # waits, due now: soon late
    ]
    listeners[0].start()
    assert renderer.started.acquire(timeout=10)
    listeners[1].start()
    url = f"{server.url}/api/tracks/{library.track_id('mono.wav')}/stream"
    try:
        for _ in range(1000):  # until the second listener's first chunk waits (due at once)
            if pool.waiting:
                break
            threading.Event().wait(0.01)
        assert pool.waiting == 1
        turned = httpx.head(url, timeout=10)
        assert turned.status_code == 503
        assert int(turned.headers["retry-after"]) >= 1
        background = httpx.get(url, headers={"Priority": "u=5"}, timeout=10)
        assert background.status_code == 503
        assert background.json()["error"] == "overloaded"
        assert int(background.headers["retry-after"]) >= 1
    finally:
        renderer.released.set()
        for listener in listeners:
            listener.join(30)
    assert answers == {"first": 200, "second": 200}
    # Nothing waits now: read-ahead is welcome again, and so is a plain request.
    assert httpx.head(url, timeout=10).status_code == 200
    assert httpx.get(url, headers={"Priority": "u=5"}, timeout=10).status_code == 200


def test_read_ahead_is_due_a_chunk_later_than_a_start(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    """A client having a track ready (HEAD, or Priority u=5) is not a listener starting: its
    render must not take the worker that starts are kept for."""
    app = library.app(IdentityRenderer(), render_processes=1)
    server, pool = live_server(app), app.state.auralis.renders
    due_in_s: list[float] = []
    run = pool.run

    async def recording(work, deadline):  # type: ignore[no-untyped-def]
        due_in_s.append(deadline - time.monotonic())
        return await run(work, deadline)

    pool.run = recording
    stream = f"{server.url}/api/tracks/{{}}/stream?chunks=0-0"
    assert httpx.head(stream.format(library.track_id("mono.wav")), timeout=10).status_code == 206
    background = httpx.get(
        stream.format(library.track_id("hi.flac")), headers={"Priority": "u=5"}, timeout=10
    )
    start = httpx.get(stream.format(library.track_id("song.wav")), timeout=10)
    assert background.status_code == start.status_code == 206
    head_due_s, background_due_s, start_due_s = due_in_s
    chunk_s = library.settings.chunk_seconds
    assert start_due_s <= 0.0
    assert head_due_s == pytest.approx(chunk_s, abs=0.5)
    assert background_due_s == pytest.approx(chunk_s, abs=0.5)
