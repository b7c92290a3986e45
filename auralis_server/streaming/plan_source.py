"""Mastering plans for tracks: from the stored fingerprint, or cold from the audio itself.

A track that has never been analysed still streams at once: the cold path asks the Rust
fingerprint server, when one runs, for the whole fingerprint (faster than Python computes
the plan's inputs alone), or else decodes the track and computes only the plan's inputs
(loudness, crest, bands) with the fingerprint's own code. Either way the values are rounded
to float32 as the database stores them, so the plan is the one the stored fingerprint gives.

In album mode (``loudness="album"``) the plan is the album's (``mastering/album.py``), from
the album loudness ``AlbumSource`` combines; a track without an album tag gets its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from auralis_server.audio.source import read_frames
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.fingerprint.scheduler import RemoteFingerprinter
from auralis_server.mastering.album import AlbumLoudness, album_plan
from auralis_server.mastering.plan import PLAN_VERSION, Plan, make_plan
from auralis_server.streaming.album_source import AlbumSource

log = logging.getLogger("auralis.plan")

_COLD_CACHE_TRACKS = 256
LOUDNESS_MODES = ("track", "album")  # what the server plays; a client's "auto" is "track"


@dataclass(frozen=True)
class PlanChoice:
    """A track's plan, where its inputs came from, and the album it was levelled with."""

    plan: Plan
    inputs: str  # "fingerprint" or "cold"
    album: AlbumLoudness | None = None  # album mode only

    @property
    def loudness(self) -> str:
        return "album" if self.album is not None else "track"

    def identity(self) -> str:
        """What decides the rendered samples: the plan, and in album mode the mode and the
        album's loudness, so an album-mode chunk is never served for track mode."""
        identity = f"plan-v{PLAN_VERSION}-{self.plan.hash}"
        return identity if self.album is None else f"{identity}-album{self.album.lufs:+.2f}"


class PlanSource:
    def __init__(self, remote: RemoteFingerprinter | None = None) -> None:
        self._cold: OrderedDict[tuple[int, str, int], dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._remote = remote
        self.albums = AlbumSource(self.inputs)

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

    def plan(
        self, audio: TrackAudio, preset: str, intensity: float, loudness: str = "track"
    ) -> tuple[Plan, str]:
        choice = self.choose(audio, preset, intensity, loudness)
        return choice.plan, choice.inputs

    def choose(
        self, audio: TrackAudio, preset: str, intensity: float, loudness: str = "track"
    ) -> PlanChoice:
        """The plan in ``loudness`` mode (one of ``LOUDNESS_MODES``)."""
        values, source = self.inputs(audio)
        inputs = tuple(sorted(values.items()))
        album = self.albums.album_for(audio) if loudness == "album" else None
        if album is None:
            return PlanChoice(_plan_for(inputs, preset, intensity), source)
        album_inputs = (album.lufs, album.crest_db, tuple(sorted(album.bands.items())))
        plan = _album_plan_for(inputs, album_inputs, preset, intensity)
        return PlanChoice(plan, source, album)


@lru_cache(maxsize=4096)
def _plan_for(inputs: tuple[tuple[str, float], ...], preset: str, intensity: float) -> Plan:
    """make_plan is pure: a stream asks for the same plan once per chunk, so remember it."""
    return make_plan(dict(inputs), preset, intensity)


@lru_cache(maxsize=4096)
def _album_plan_for(
    inputs: tuple[tuple[str, float], ...],
    album: tuple[float, float, tuple[tuple[str, float], ...]],
    preset: str,
    intensity: float,
) -> Plan:
    """album_plan is pure too: remembered like ``_plan_for``."""
    lufs, crest_db, bands = album
    return album_plan(
        dict(inputs), AlbumLoudness(lufs, crest_db, dict(bands), 0), preset, intensity
    )
