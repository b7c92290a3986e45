"""Mastering plans for tracks: from the stored fingerprint, or cold from the audio itself.

A track that has never been analysed still streams at once: the cold path asks the Rust
fingerprint server, when one runs, for the whole fingerprint (faster than Python computes
the plan's inputs alone), or else decodes the track and computes only the plan's inputs
(loudness, crest, bands) with the fingerprint's own code. Either way the values are rounded
to float32 as the database stores them, so the plan is the one the stored fingerprint gives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from auralis_server.audio.source import read_frames
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.fingerprint.scheduler import RemoteFingerprinter
from auralis_server.mastering.plan import Plan, make_plan

log = logging.getLogger("auralis.plan")

_COLD_CACHE_TRACKS = 256


class PlanSource:
    def __init__(self, remote: RemoteFingerprinter | None = None) -> None:
        self._cold: OrderedDict[tuple[int, str, int], dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._remote = remote

    def _cold_values(self, audio: TrackAudio) -> tuple[dict[str, float], str]:
        """The plan's inputs from the audio itself, and who computed them."""
        if self._remote is not None:
            try:
                values = self._remote.compute(str(audio.path))
                return {name: float(np.float32(value)) for name, value in values.items()}, "rust"
            except Exception as exc:  # any failure: the Python path below
                log.warning("track %d: cold plan from Rust failed (%s)", audio.track_id, exc)
        samples = read_frames(audio.path, 0, audio.geometry.total_frames)
        return plan_inputs(samples, audio.geometry.sample_rate_hz), "python"

    def inputs(self, audio: TrackAudio) -> tuple[dict[str, float], str]:
        """(plan inputs, "fingerprint" or "cold")."""
        stored = fingerprint_store.current_values(audio.track_id)
        if stored is not None:
            return stored, "fingerprint"
        key = (audio.track_id, str(audio.path), audio.geometry.total_frames)
        with self._lock:
            if key in self._cold:
                self._cold.move_to_end(key)
                return self._cold[key], "cold"
        started = time.perf_counter()
        values, computed_by = self._cold_values(audio)
        log.info(
            "track %d: cold plan inputs by %s in %.0f ms",
            audio.track_id,
            computed_by,
            (time.perf_counter() - started) * 1000,
        )
        with self._lock:
            self._cold[key] = values
            while len(self._cold) > _COLD_CACHE_TRACKS:
                self._cold.popitem(last=False)
        return values, "cold"

    def plan(self, audio: TrackAudio, preset: str, intensity: float) -> tuple[Plan, str]:
        values, source = self.inputs(audio)
        return _plan_for(tuple(sorted(values.items())), preset, intensity), source


@lru_cache(maxsize=4096)
def _plan_for(inputs: tuple[tuple[str, float], ...], preset: str, intensity: float) -> Plan:
    """make_plan is pure: a stream asks for the same plan once per chunk, so remember it."""
    return make_plan(dict(inputs), preset, intensity)
