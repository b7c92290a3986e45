"""Whole-track files from chunks: the first bytes come after the first chunk alone, lossless
output is the rendered samples from any offset, and the length promises hold."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auralis_server.audio.track import TrackAudio
from auralis_server.streaming import encoders
from auralis_server.streaming.chunk_cache import ChunkCache
from auralis_server.streaming.encoded import ENCODINGS, open_encoded, open_wav_range, wav_bytes
from auralis_server.streaming.frames import FrameSource
from auralis_server.streaming.mastered_pcm import pcm_source
from auralis_server.streaming.renderer import IdentityRenderer, RenderSettings
from shared.geometry import ChunkGeometry
from tests.conftest import write_audio
from tests.server.streaming.mastered_reference import QUIET, decoded

RATE_HZ = 22050


class CountingRenderer(IdentityRenderer):
    """The original audio, counting the chunks asked for."""

    def __init__(self) -> None:
        self.rendered: list[int] = []

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings):  # type: ignore[no-untyped-def]
        self.rendered.append(chunk_index)
        return super().render(audio, chunk_index, plan)


def _source(tmp_path: Path, seconds: float) -> tuple[FrameSource, np.ndarray, CountingRenderer]:
    path = tmp_path / "track.wav"
    samples = write_audio(path, seconds, RATE_HZ, seed=5)
    geometry = ChunkGeometry.for_track(len(samples), RATE_HZ, 1.0)
    audio = TrackAudio(1, path, geometry, 2, (1, 1))
    renderer = CountingRenderer()
    cache = ChunkCache(2**26, tmp_path / "cache", 0)
    return pcm_source(cache, renderer, audio, RenderSettings("adaptive", 1.0)), samples, renderer


async def _read_all(source: FrameSource, kind: str, **options: float | int) -> bytes:
    stream = await open_encoded(source, ENCODINGS[kind], **options)  # type: ignore[arg-type]
    return b"".join([data async for data in stream.body])


@pytest.mark.parametrize("kind", list(ENCODINGS))
def test_the_first_bytes_need_only_the_first_chunk(tmp_path: Path, kind: str) -> None:
    source, _, renderer = _source(tmp_path, 8.0)

    async def first_bytes() -> bytes:
        stream = await open_encoded(source, ENCODINGS[kind])
        data = b""
        async for data in stream.body:
            if data:
                break
        return data

    assert asyncio.run(first_bytes())
    assert renderer.rendered == [0]


@pytest.mark.parametrize("kind", ["flac", "wav"])
@pytest.mark.parametrize("start_s", [0.0, 2.5, 3.0, 7.99])
def test_lossless_files_are_the_samples_from_the_offset(
    tmp_path: Path, kind: str, start_s: float
) -> None:
    source, samples, renderer = _source(tmp_path, 8.0)
    data = asyncio.run(_read_all(source, kind, start_s=start_s))
    heard, rate = decoded(data)
    assert rate == RATE_HZ
    expected = samples[round(start_s * RATE_HZ) :]
    assert heard.shape == expected.shape and np.abs(heard - expected).max() < QUIET
    assert renderer.rendered == list(range(int(start_s), 8))  # no chunk before the offset


@settings(max_examples=15, deadline=None)
@given(frames=st.integers(1, 30_000), rate_hz=st.sampled_from([8000, 22050, 44100, 48000, 96000]))
def test_the_mp3_size_is_known_before_encoding(frames: int, rate_hz: int) -> None:
    signal = np.random.default_rng(frames).standard_normal((frames, 2)).astype(np.float32) * 0.1
    settings_ = encoders.mp3_settings(128)
    encoder = encoders.LibsndfileEncoder(rate_hz, 2, frames, settings_)
    data = encoder.feed(signal) + encoder.finish()
    assert len(data) == encoders.mp3_bytes(encoders.lossy_frames(frames, rate_hz), 128)
    heard, rate = decoded(data)
    assert rate == encoders.LOSSY_RATE_HZ


def test_the_opus_estimate_covers_dense_music(tmp_path: Path) -> None:
    source, _, _ = _source(tmp_path, 8.0)

    async def sizes() -> tuple[int, int | None]:
        stream = await open_encoded(source, ENCODINGS["opus"], max_kbps=96)
        return len(b"".join([d async for d in stream.body])), stream.estimated_bytes

    actual, estimated = asyncio.run(sizes())
    assert estimated is not None and actual <= estimated


def test_bit_rates_map_to_the_encoders_own() -> None:
    assert encoders.mp3_settings(320).kbps == 320
    assert encoders.mp3_settings(200).kbps == 192  # the highest LAME rate not above it
    assert encoders.mp3_settings(8).kbps == 32  # nothing lower exists
    assert encoders.opus_settings(128, 2).kbps == 128
    assert encoders.opus_settings(2, 2).kbps == 12  # libopus' floor: 6 kbps a channel


@settings(max_examples=20, deadline=None)
@given(first=st.integers(0, 10**6), length=st.integers(1, 200_000))
def test_a_wav_range_renders_only_the_chunks_under_it(
    tmp_path_factory: pytest.TempPathFactory, first: int, length: int
) -> None:
    source, samples, renderer = _source(tmp_path_factory.mktemp("range"), 8.0)
    size = wav_bytes(source)
    first = min(first, size - 1)
    last = min(first + length - 1, size - 1)

    async def read() -> bytes:
        return b"".join([data async for data in await open_wav_range(source, first, last)])

    whole = encoders.wav_header(len(samples), RATE_HZ, 2) + encoders.wav_samples(samples)
    assert asyncio.run(read()) == whole[first : last + 1]
    block_bytes = 2 * encoders.WAV_SAMPLE_BYTES
    header = encoders.WAV_HEADER_BYTES
    if last < header:
        assert renderer.rendered == []
    else:
        first_chunk = (max(first, header) - header) // block_bytes // RATE_HZ
        last_chunk = (last - header) // block_bytes // RATE_HZ
        assert renderer.rendered == list(range(first_chunk, last_chunk + 1))
