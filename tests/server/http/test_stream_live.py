"""Streaming through a real uvicorn on loopback, read with httpx as the TUI will read it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
import numpy as np
import pytest

from auralis_server.audio.track import TrackAudio
from auralis_server.streaming.renderer import IdentityRenderer, RenderSettings
from shared.ranges import parse_content_range
from shared.wire import Frame, FrameReader, Samples
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library


def _stream(url: str, **kwargs: object) -> tuple[httpx.Response, list[Frame]]:
    frames: list[Frame] = []
    with httpx.stream("GET", url, timeout=30, **kwargs) as response:  # type: ignore[arg-type]
        reader = FrameReader()
        for data in response.iter_bytes():
            frames.extend(reader.feed(data))
        assert reader.pending_bytes == 0
    return response, frames


@pytest.mark.parametrize("name", ["song.wav", "hi.flac"])
def test_ranged_stream_decodes_to_the_source_samples(
    library: Library, live_server: Callable[..., LiveServer], name: str
) -> None:
    server = live_server(library.app())
    track_id = library.track_id(name)
    response, frames = _stream(
        f"{server.url}/api/tracks/{track_id}/stream?intensity=0", headers={"Range": "chunks=1-2"}
    )
    assert response.status_code == 206
    assert response.headers["transfer-encoding"] == "chunked"
    chunk_range = parse_content_range(response.headers["content-range"])
    assert (chunk_range.first, chunk_range.last, chunk_range.count) == (1, 2, 3)
    source = library.samples[name]
    chunk_frames = frames[0].header.core_frames
    np.testing.assert_array_equal(np.concatenate([f.core for f in frames]), source[chunk_frames:])
    np.testing.assert_array_equal(frames[0].tail, frames[1].core[: frames[0].header.overlap_frames])
    assert frames[0].header.overlap_frames == frames[0].header.sample_rate_hz // 10
    assert frames[1].header.overlap_frames == 0


class GatedRenderer(IdentityRenderer):
    """Holds the last chunk back until the test says the client has the first frame."""

    def __init__(self) -> None:
        self.first_frame_seen = threading.Event()
        self.log: list[str] = []

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        if chunk_index == audio.geometry.chunk_count - 1:
            released = self.first_frame_seen.wait(timeout=20)
            self.log.append("last rendered" if released else "last rendered after timeout")
        return super().render(audio, chunk_index, plan)


def test_first_frame_arrives_before_the_last_is_rendered(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    renderer = GatedRenderer()
    server = live_server(library.app(renderer))
    reader, indices = FrameReader(), []
    url = f"{server.url}/api/tracks/{library.track_id('song.wav')}/stream"
    with httpx.stream("GET", url, timeout=30) as response:
        for data in response.iter_bytes():
            for frame in reader.feed(data):
                if not indices:
                    renderer.log.append("client has frame 0")
                    renderer.first_frame_seen.set()
                indices.append(frame.header.chunk_index)
    assert indices == [0, 1, 2]
    assert renderer.log == ["client has frame 0", "last rendered"]


class SlowRenderer(IdentityRenderer):
    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.rendered: list[tuple[int, int]] = []

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        time.sleep(self.delay_s)
        self.rendered.append((audio.track_id, chunk_index))
        return super().render(audio, chunk_index, plan)


def test_client_disconnect_stops_its_stream_and_others_are_served(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    renderer = SlowRenderer(0.05)
    server = live_server(library.app(renderer, chunk_seconds=1.0))
    song, other = library.track_id("song.wav"), library.track_id("hi.flac")
    with httpx.stream("GET", f"{server.url}/api/tracks/{song}/stream", timeout=30) as response:
        reader = FrameReader()
        for data in response.iter_bytes():
            if reader.feed(data):
                break  # hang up after the first frame of 25
    response, frames = _stream(f"{server.url}/api/tracks/{other}/stream")
    assert response.status_code == 200 and len(frames) == 22
    np.testing.assert_array_equal(
        np.concatenate([f.core for f in frames]), library.samples["hi.flac"]
    )
    rendered_then = sum(1 for track, _ in renderer.rendered if track == song)
    time.sleep(0.5)
    rendered_later = sum(1 for track, _ in renderer.rendered if track == song)
    assert rendered_later == rendered_then < 25, "rendering went on for a client that left"
    assert httpx.get(f"{server.url}/api/health").status_code == 200


def test_events_report_scan_progress(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    write_audio(library.music / "later.flac", 1.0)
    states: list[str] = []
    with httpx.stream("GET", f"{server.url}/api/events", timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        event = None
        for line in lines:
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "scan":
                progress = json.loads(line.split(":", 1)[1])
                states.append(progress["state"])
                if states == ["idle"]:  # the snapshot on connect; now start a scan
                    assert httpx.post(f"{server.url}/api/library/scan").status_code == 202
                if progress["state"] == "finished":
                    assert progress["added"] == 1
                    break
    assert states[0] == "idle" and "running" in states and states[-1] == "finished"
