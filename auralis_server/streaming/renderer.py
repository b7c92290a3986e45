"""The chunk rendering stage: (track, chunk index, settings) -> samples of core plus overlap tail.

Streaming, chunk files and the chunk cache call only ``ChunkRenderer``. The server's renderer
is ``MasteringRenderer``: chunk i comes out as the same samples a whole-track render would
give (SPEC §5 transparency). ``IdentityRenderer`` carries the original audio, so every frame
equals the source samples (tests use it as a seam).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from auralis_server.audio.source import read_frames
from auralis_server.audio.track import TrackAudio
from auralis_server.mastering import chain
from auralis_server.mastering.plan import Plan
from auralis_server.streaming.plan_source import PlanChoice, PlanSource
from shared.wire import Samples

log = logging.getLogger("auralis.master")


@dataclass(frozen=True)
class RenderSettings:
    """Per-track processing parameters, constant for the whole track."""

    preset: str
    intensity: float
    loudness: str = "track"  # "track" or "album" (streaming.plan_source.LOUDNESS_MODES)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChunkRenderer(Protocol):
    def describe(self, audio: TrackAudio, settings: RenderSettings) -> str:
        """What decides this renderer's output for the track (a plan hash); part of cache keys."""
        ...

    def job(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> ChunkRender:
        """What rendering chunk ``chunk_index`` takes, picklable for a worker process (the plan
        is looked up here, in the server's process, where the database is)."""
        ...

    def render(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> Samples:
        """(core + tail frames, channels) float32 of chunk ``chunk_index``; blocking, CPU-bound."""
        ...


@dataclass(frozen=True)
class ChunkRender:
    """One chunk's render, self-contained: frames [start, stop) of ``path``, read from
    [first, last) for the chain's context and mastered by ``plan`` (None: the original)."""

    path: Path
    start: int
    stop: int
    first: int
    last: int
    plan: Plan | None
    rate_hz: int

    def __call__(self) -> Samples:
        if self.plan is None or self.plan.bypass:
            return read_frames(self.path, self.start, self.stop)
        buffer = read_frames(self.path, self.first, self.last).astype(np.float64)
        out = chain.render(buffer, self.plan, self.rate_hz)
        return out[self.start - self.first : self.stop - self.first].astype(np.float32)


class IdentityRenderer:
    """Decodes the chunk's span from the file, seeking straight to it."""

    def describe(self, audio: TrackAudio, settings: RenderSettings) -> str:
        return "identity"

    def job(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> ChunkRender:
        start, stop = audio.geometry.span(chunk_index)
        return ChunkRender(
            audio.path, start, stop, start, stop, None, audio.geometry.sample_rate_hz
        )

    def render(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> Samples:
        return self.job(audio, chunk_index, settings)()


class MasteringRenderer:
    """Renders chunk i as the same samples of a whole-track render (SPEC §5 transparency)."""

    def __init__(self, plans: PlanSource) -> None:
        self.plans = plans

    def choose(self, audio: TrackAudio, settings: RenderSettings) -> PlanChoice:
        return self.plans.choose(audio, settings.preset, settings.intensity, settings.loudness)

    def plan_for(self, audio: TrackAudio, settings: RenderSettings) -> Plan:
        return self.choose(audio, settings).plan

    def describe(self, audio: TrackAudio, settings: RenderSettings) -> str:
        return self.choose(audio, settings).identity()

    def job(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> ChunkRender:
        plan = self.plan_for(audio, settings)
        geometry = audio.geometry
        rate_hz = geometry.sample_rate_hz
        start, stop = geometry.span(chunk_index)
        first, last = chain.context_span(plan, rate_hz, start, stop, geometry.total_frames)
        log.info(
            "track %d chunk %d/%d: %s %s@%.2f region=%s gain=%+.2f dB ratio=%s expansion=%s eq=[%s]",
            audio.track_id,
            chunk_index,
            geometry.chunk_count,
            plan.hash,
            plan.preset,
            plan.intensity,
            plan.region,
            plan.gain_db,
            plan.compressor.ratio if plan.compressor else 1.0,
            plan.expander.amount if plan.expander else 0.0,
            " ".join(f"{band.gain_db:+.2f}" for band in plan.eq),
        )
        return ChunkRender(audio.path, start, stop, first, last, plan, rate_hz)

    def render(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> Samples:
        return self.job(audio, chunk_index, settings)()
