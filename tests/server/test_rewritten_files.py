"""A file rewritten or truncated while it is streamed (issue 16 item 5): that stream ends
cleanly after the frames of the old file, never mixing in the new audio, and the next request
serves the new file.

The renderer holds chunk 1 back until the test has changed the file, so the change falls
exactly between frames 0 and 1 of the stream.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from auralis_server.audio.track import TrackAudio
from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.scanner import Scanner
from auralis_server.streaming.renderer import IdentityRenderer, RenderSettings
from shared.wire import Frame, FrameReader, Samples
from tests.conftest import LiveServer, write_audio

RATE_HZ = 8000
SECONDS = 5.0  # 5 chunks of 1 s


class HeldRenderer(IdentityRenderer):
    """Renders chunk 0 at once and every later chunk only once ``go`` is set."""

    def __init__(self) -> None:
        self.go = threading.Event()

    def render(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> Samples:
        if chunk_index > 0:
            assert self.go.wait(timeout=30), "the test never released the renderer"
        return super().render(audio, chunk_index, settings)


def _frames_of(response: httpx.Response, on_first: Callable[[], None]) -> list[Frame]:
    reader, frames = FrameReader(), []
    for data in response.iter_bytes():
        for frame in reader.feed(data):
            if not frames:
                on_first()
            frames.append(frame)
    assert reader.pending_bytes == 0, "the stream ended inside a frame"
    return frames


def _cores(frames: list[Frame]) -> npt.NDArray[np.float32]:
    return np.concatenate([frame.core for frame in frames])


def _truncate(path: Path) -> npt.NDArray[np.float32]:
    """The same file cut to its first 2.5 s, written in place."""
    return write_audio(path, 2.5, RATE_HZ, channels=1, seed=1)


def _rewrite_same_length(path: Path) -> npt.NDArray[np.float32]:
    """Other audio of the same length in place (same size: only the mtime tells them apart)."""
    before = os.stat(path)
    samples = write_audio(path, SECONDS, RATE_HZ, channels=1, seed=99)
    after = os.stat(path)
    assert after.st_size == before.st_size
    if after.st_mtime_ns == before.st_mtime_ns:  # a file system with coarse timestamps
        os.utime(path, ns=(after.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    return samples


@pytest.mark.parametrize("change", [_truncate, _rewrite_same_length])
def test_a_file_changed_mid_stream_ends_that_stream_and_the_next_gets_the_new_audio(
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    live_server: Callable[..., LiveServer],
    change: Callable[[Path], npt.NDArray[np.float32]],
) -> None:
    path = tmp_path / "music" / "song.wav"
    old = write_audio(path, SECONDS, RATE_HZ, channels=1, seed=1)
    settings = settings_for(path.parent, chunk_seconds=1.0)
    open_database(settings.database_url, settings.sqlite_path)
    try:
        assert Scanner([path.parent], workers=1).run().state == "finished"
        track_id = int(Track.get().id)
        renderer = HeldRenderer()
        server = live_server(create_app(settings, renderer=renderer))
        url = f"{server.url}/api/tracks/{track_id}/stream"
        new: list[npt.NDArray[np.float32]] = []

        def change_the_file() -> None:
            new.append(change(path))
            renderer.go.set()

        with httpx.stream("GET", url, timeout=30) as response:
            assert response.status_code == 200
            assert response.headers["x-auralis-chunk-count"] == "5"
            during = _frames_of(response, change_the_file)

        # Only the frame made before the change; what came is the old audio, exactly.
        assert [frame.header.chunk_index for frame in during] == [0]
        np.testing.assert_array_equal(_cores(during), old[:RATE_HZ])

        with httpx.stream("GET", url, timeout=30) as response:
            assert response.status_code == 200
            after = _frames_of(response, lambda: None)
        assert response.headers["x-auralis-chunk-count"] == str(len(after))
        np.testing.assert_array_equal(_cores(after), new[0])
    finally:
        close_database()
