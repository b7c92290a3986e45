"""The loudness series of a track: BS.1770 short-term loudness of the source and of the
mastered render, window by window (``GET /api/tracks/{id}/loudness``).

The output is measured on exactly what the stream sends: every chunk's core samples from
the server's ``ChunkRenderer``, in order, through a meter whose filter state runs across
chunk boundaries. A full render is a few seconds of CPU for a long track, so the result is
kept in the chunk cache under everything that changes it, and computed once however many
ask, off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from auralis_server.audio.loudness import SHORT_TERM_HOP_S, SHORT_TERM_S, LoudnessMeter
from auralis_server.audio.source import read_frames
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint.dsp.analysis import (
    ALGORITHM_VERSION as FINGERPRINT_ALGORITHM_VERSION,
)
from auralis_server.streaming.chunk_cache import ChunkCache, cache_key
from auralis_server.streaming.renderer import ChunkRenderer, RenderSettings
from shared.loudness import LoudnessSeries

log = logging.getLogger("auralis.loudness")

# Changes whenever what the series measures or how it is sent changes; part of the cache key.
SERIES_VERSION = 1


def measure(
    renderer: ChunkRenderer, audio: TrackAudio, settings: RenderSettings, render: str
) -> LoudnessSeries:
    """Meter the source and the rendered chunks' core samples side by side; blocking, CPU-bound.

    ``render`` is ``renderer.describe(audio, settings)``, reported so a client can tell which
    plan the output series belongs to.
    """
    started = time.perf_counter()
    geometry = audio.geometry
    source = LoudnessMeter(geometry.sample_rate_hz, audio.channels)
    output = LoudnessMeter(geometry.sample_rate_hz, audio.channels)
    for index in range(geometry.chunk_count):
        start, stop = geometry.core_bounds(index)
        output.add(renderer.render(audio, index, settings)[: stop - start])
        source.add(read_frames(audio.path, start, stop))
    series = LoudnessSeries.measured(
        audio.track_id,
        settings.preset,
        settings.intensity,
        render,
        (SHORT_TERM_S, SHORT_TERM_HOP_S),
        source.short_term_lufs(),
        output.short_term_lufs(),
        (source.integrated_lufs(), output.integrated_lufs()),
    )
    log.info(
        "track %d: loudness series %s@%.2f, %d windows, %.1f → %.1f LUFS in %.0f ms",
        audio.track_id,
        settings.preset,
        settings.intensity,
        len(series.input_lufs),
        series.input_integrated_lufs,
        series.output_integrated_lufs,
        (time.perf_counter() - started) * 1000,
    )
    return series


def series_key(audio: TrackAudio, settings: RenderSettings, render: str) -> str:
    """Everything that changes the series: the file's content signature, the algorithm, plan
    and series versions, the render identity (plan hash), the settings and the chunk size."""
    geometry = audio.geometry
    return cache_key(
        "loudness-series",
        SERIES_VERSION,
        audio.path,
        *audio.signature,
        FINGERPRINT_ALGORITHM_VERSION,
        render,
        settings.preset,
        settings.intensity,
        geometry.chunk_frames,
    )


async def series_json(
    cache: ChunkCache, renderer: ChunkRenderer, audio: TrackAudio, settings: RenderSettings
) -> bytes:
    """The JSON body of the series, from the cache or measured once (in a worker thread)."""
    render = await asyncio.to_thread(renderer.describe, audio, settings)

    def compute() -> bytes:
        series = measure(renderer, audio, settings, render)
        return json.dumps(series.as_dict(), separators=(",", ":")).encode()

    key = series_key(audio, settings, render)
    return await cache.get_or_render(key, lambda: asyncio.to_thread(compute))
