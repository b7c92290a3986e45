"""The mastering stage of the chunk pipeline: decode a chunk with context, run the chain."""

from __future__ import annotations

import logging

import numpy as np

from auralis_server.audio_source import read_frames
from auralis_server.dsp import chain
from auralis_server.dsp.plan import PLAN_VERSION, Plan
from auralis_server.plans import PlanSource
from auralis_server.render import RenderSettings, TrackAudio
from shared.wire import Samples

log = logging.getLogger("auralis.master")


class MasteringRenderer:
    """Renders chunk i as the same samples of a whole-track render (SPEC §5 transparency)."""

    def __init__(self, plans: PlanSource) -> None:
        self.plans = plans

    def plan_for(self, audio: TrackAudio, settings: RenderSettings) -> Plan:
        return self.plans.plan(audio, settings.preset, settings.intensity)[0]

    def describe(self, audio: TrackAudio, settings: RenderSettings) -> str:
        return f"plan-v{PLAN_VERSION}-{self.plan_for(audio, settings).hash}"

    def render(self, audio: TrackAudio, chunk_index: int, settings: RenderSettings) -> Samples:
        plan = self.plan_for(audio, settings)
        geometry = audio.geometry
        start, stop = geometry.span(chunk_index)
        if plan.bypass:
            return read_frames(audio.path, start, stop)
        before, after = chain.context_frames(plan, geometry.sample_rate_hz)
        first = max(0, start - before) // chain.BLOCK_FRAMES * chain.BLOCK_FRAMES
        last = min(geometry.total_frames, stop + after)
        buffer = read_frames(audio.path, first, last).astype(np.float64)
        out = chain.render(buffer, plan, geometry.sample_rate_hz)[start - first : stop - first]
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
        return out.astype(np.float32)
