"""streaming.frames without HTTP: frames through the cache, chunk files, read failures."""

from __future__ import annotations

import ast
import asyncio
import io
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from auralis_server.audio.source import AudioReadError
from auralis_server.audio.track import TrackAudio
from auralis_server.streaming.chunk_cache import ChunkCache
from auralis_server.streaming.frames import FrameSource, chunk_file
from auralis_server.streaming.render_pool import DeadlinePool
from auralis_server.streaming.renderer import IdentityRenderer, RenderSettings
from shared.geometry import ChunkGeometry
from shared.wire import SampleFormat, Samples, iter_frames
from tests.conftest import write_audio

SETTINGS = RenderSettings("adaptive", 0.0)


class FailingRenderer(IdentityRenderer):
    """Reads like the identity, except that the chunks in ``broken`` cannot be read."""

    def __init__(self, *broken: int) -> None:
        self.broken = set(broken)

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        if chunk_index in self.broken:
            raise AudioReadError(f"chunk {chunk_index} is unreadable")
        return super().render(audio, chunk_index, plan)


@pytest.fixture
def track(tmp_path: Path) -> tuple[TrackAudio, np.ndarray]:
    samples = write_audio(tmp_path / "t.wav", 2.5, 8000, channels=1)
    geometry = ChunkGeometry.for_track(len(samples), 8000, 1.0)
    return TrackAudio(7, tmp_path / "t.wav", geometry, 1), samples


def _source(tmp_path: Path, audio: TrackAudio, renderer: IdentityRenderer) -> FrameSource:
    cache = ChunkCache(2**24, tmp_path / "cache", 0)
    return FrameSource(cache, renderer, audio, SETTINGS, SampleFormat.f32)


async def _collect(source: FrameSource, indices: range) -> list[bytes]:
    return [frame async for frame in await source.open(indices)]


def test_frames_decode_to_the_source_and_come_from_the_cache_the_second_time(
    tmp_path: Path, track: tuple[TrackAudio, np.ndarray]
) -> None:
    audio, samples = track
    source = _source(tmp_path, audio, IdentityRenderer())
    first = asyncio.run(_collect(source, range(3)))
    frames = list(iter_frames(first))
    assert [f.header.chunk_index for f in frames] == [0, 1, 2]
    np.testing.assert_array_equal(np.concatenate([f.core for f in frames]), samples)
    assert asyncio.run(_collect(source, range(3))) == first
    assert source.cache.renders == 3


def test_an_unreadable_first_chunk_raises_before_any_frame(
    tmp_path: Path, track: tuple[TrackAudio, np.ndarray]
) -> None:
    source = _source(tmp_path, track[0], FailingRenderer(1))
    with pytest.raises(AudioReadError):
        asyncio.run(_collect(source, range(1, 3)))


def test_an_unreadable_later_chunk_ends_the_frames_early(
    tmp_path: Path, track: tuple[TrackAudio, np.ndarray]
) -> None:
    source = _source(tmp_path, track[0], FailingRenderer(1))
    frames = list(iter_frames(asyncio.run(_collect(source, range(3)))))
    assert [f.header.chunk_index for f in frames] == [0]


@pytest.mark.parametrize("kind", ["wav", "flac"])
def test_chunk_files_hold_the_core_and_the_tail_when_asked(
    track: tuple[TrackAudio, np.ndarray], kind: str
) -> None:
    audio, samples = track
    core, tail = audio.geometry.core_frames(0), audio.geometry.overlap_frames
    for with_tail, length in ((False, core), (True, core + tail)):
        body = chunk_file(IdentityRenderer(), audio, 0, SETTINGS, kind=kind, with_tail=with_tail)
        decoded, _ = soundfile.read(io.BytesIO(body), dtype="float32", always_2d=True)
        np.testing.assert_array_equal(decoded, samples[:length])


def test_the_streaming_package_knows_nothing_of_http() -> None:
    package = Path(__file__).resolve().parents[3] / "auralis_server" / "streaming"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(name.split(".")[0] == "starlette" for name in names), path


class _RecordingPool(DeadlinePool):
    """The pool, noting each job's deadline as it is handed in."""

    def __init__(self) -> None:
        super().__init__(1, processes=False)
        self.deadlines: list[float] = []

    async def run(self, work, deadline):  # type: ignore[no-untyped-def]
        self.deadlines.append(deadline)
        return await super().run(work, deadline)


def test_a_streams_first_frame_is_due_now_and_each_next_one_a_chunk_later(
    tmp_path: Path, track: tuple[TrackAudio, np.ndarray]
) -> None:
    """What makes a new listener's start go before other listeners' read-ahead."""
    audio, samples = track
    pool = _RecordingPool()
    cache = ChunkCache(2**24, tmp_path / "cache", 0)
    source = FrameSource(cache, IdentityRenderer(), audio, SETTINGS, SampleFormat.f32, pool)
    asked = time.monotonic()
    try:
        frames = asyncio.run(_collect(source, range(1, 3)))
    finally:
        pool.close()
    answered = time.monotonic()
    assert [frame.header.chunk_index for frame in iter_frames(frames)] == [1, 2]
    first, second = pool.deadlines
    assert asked <= first <= answered
    assert second - first == pytest.approx(audio.geometry.chunk_seconds)
