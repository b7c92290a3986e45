"""Mastering plans for tracks: from the stored fingerprint, or cold from the audio itself.

A track that has never been analysed still streams at once: the cold path asks the Rust
fingerprint server, when one runs, for the whole fingerprint (faster than Python computes
the plan's inputs alone), or else decodes the track and computes only the plan's inputs
(loudness, crest, bands) with the fingerprint's own code. Either way the values are rounded
to float32 as the database stores them, so the plan is the one the stored fingerprint gives.

Every plan also reads the track's level profile (``mastering.profile``), measured in Python
from the decoded track: the Python fingerprint job stores it with the fingerprint; for a
track fingerprinted otherwise (Rust, a sidecar, an older version) the first plan measures it
and keeps it on the fingerprint row; the cold path measures it from the same decode (with
Rust computing the values alongside). So a track's plan is the same whichever way it came.

In album mode (``loudness="album"``) the plan is the album's (``mastering/album.py``), from
the album loudness ``AlbumSource`` combines; a track without an album tag gets its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
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
from auralis_server.mastering.profile import LevelProfile, measure_profile, unpack_profile
from auralis_server.streaming.album_source import AlbumSource

log = logging.getLogger("auralis.plan")

_COLD_CACHE_TRACKS = 256
LOUDNESS_MODES = ("track", "album")  # what the server plays; a client's "auto" is "track"


@dataclass(frozen=True)
class TrackInputs:
    """What a track's plan is made from, and where the values came from."""

    values: dict[str, float]
    profile: LevelProfile
    source: str  # "fingerprint" or "cold"

    def key(self) -> tuple[tuple[tuple[str, float], ...], bytes]:
        """Hashable and equal exactly when the plan would be."""
        return tuple(sorted(self.values.items())), self.profile.pack()

    def plan(self, preset: str, intensity: float) -> Plan:
        """The track-mode plan."""
        return _plan_for(self.key(), preset, intensity)


def inputs_from_samples(samples: np.ndarray, rate_hz: int) -> TrackInputs:
    """A decoded track's plan inputs, computed in Python as the cold path does: the profile
    on a second thread (its filters and FFTs run without the GIL), a first play's wait."""
    with ThreadPoolExecutor(1, thread_name_prefix="cold-profile") as pool:
        profile = pool.submit(measure_profile, samples, rate_hz)
        values = plan_inputs(samples, rate_hz)
        return TrackInputs(values, profile.result(), "cold")


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
        self._cold: OrderedDict[tuple[int, str, int], TrackInputs] = OrderedDict()
        self._lock = threading.Lock()
        self._remote = remote
        self.albums = AlbumSource(self.inputs)

    def _cold_inputs(self, audio: TrackAudio) -> tuple[TrackInputs, str]:
        """The plan's inputs from the audio itself, and who computed the values."""
        rate_hz = audio.geometry.sample_rate_hz
        if self._remote is not None:
            # the profile is measured here while the Rust server computes the values
            with ThreadPoolExecutor(1, thread_name_prefix="cold-profile") as pool:
                profile = pool.submit(self._measure_profile, audio)
                try:
                    values = self._remote.compute(str(audio.path))
                    rounded = {name: float(np.float32(value)) for name, value in values.items()}
                    return TrackInputs(rounded, profile.result(), "cold"), "rust"
                except Exception as exc:  # any failure: the Python path below
                    log.warning("track %d: cold plan from Rust failed (%s)", audio.track_id, exc)
        samples = read_frames(audio.path, 0, audio.geometry.total_frames)
        return inputs_from_samples(samples, rate_hz), "python"

    @staticmethod
    def _measure_profile(audio: TrackAudio) -> LevelProfile:
        samples = read_frames(audio.path, 0, audio.geometry.total_frames)
        return measure_profile(samples, audio.geometry.sample_rate_hz)

    def inputs(self, audio: TrackAudio) -> TrackInputs:
        """The stored fingerprint's values (and profile, measured now if it has none), or the
        cold path's."""
        stored = fingerprint_store.current_rows([audio.track_id]).get(audio.track_id)
        if stored is not None:
            profile = unpack_profile(stored.profile)
            if profile is None:
                profile = self._measure_profile(audio)
                fingerprint_store.save_level_profile(audio.track_id, profile.pack())
                log.info("track %d: level profile measured for its plans", audio.track_id)
            return TrackInputs(stored.values, profile, "fingerprint")
        key = (audio.track_id, str(audio.path), audio.geometry.total_frames)
        with self._lock:
            if key in self._cold:
                self._cold.move_to_end(key)
                return self._cold[key]
        started = time.perf_counter()
        inputs, computed_by = self._cold_inputs(audio)
        log.info(
            "track %d: cold plan inputs by %s in %.0f ms",
            audio.track_id,
            computed_by,
            (time.perf_counter() - started) * 1000,
        )
        with self._lock:
            self._cold[key] = inputs
            while len(self._cold) > _COLD_CACHE_TRACKS:
                self._cold.popitem(last=False)
        return inputs

    def plan(
        self, audio: TrackAudio, preset: str, intensity: float, loudness: str = "track"
    ) -> tuple[Plan, str]:
        choice = self.choose(audio, preset, intensity, loudness)
        return choice.plan, choice.inputs

    def choose(
        self, audio: TrackAudio, preset: str, intensity: float, loudness: str = "track"
    ) -> PlanChoice:
        """The plan in ``loudness`` mode (one of ``LOUDNESS_MODES``)."""
        inputs = self.inputs(audio)
        album = self.albums.album_for(audio) if loudness == "album" else None
        if album is None:
            return PlanChoice(inputs.plan(preset, intensity), inputs.source)
        album_key = (
            album.lufs,
            album.crest_db,
            tuple(sorted(album.bands.items())),
            album.profile.pack() if album.profile is not None else None,
        )
        plan = _album_plan_for(inputs.key(), album_key, preset, intensity)
        return PlanChoice(plan, inputs.source, album)


InputsKey = tuple[tuple[tuple[str, float], ...], bytes]


@lru_cache(maxsize=4096)
def _plan_for(inputs: InputsKey, preset: str, intensity: float) -> Plan:
    """make_plan is pure: a stream asks for the same plan once per chunk, so remember it."""
    values, profile = inputs
    return make_plan(dict(values), preset, intensity, profile=unpack_profile(profile))


@lru_cache(maxsize=4096)
def _album_plan_for(
    inputs: InputsKey,
    album: tuple[float, float, tuple[tuple[str, float], ...], bytes | None],
    preset: str,
    intensity: float,
) -> Plan:
    """album_plan is pure too: remembered like ``_plan_for``."""
    values, profile = inputs
    lufs, crest_db, bands, album_profile = album
    loudness = AlbumLoudness(lufs, crest_db, dict(bands), 0, unpack_profile(album_profile))
    return album_plan(
        dict(values), loudness, preset, intensity, track_profile=unpack_profile(profile)
    )
