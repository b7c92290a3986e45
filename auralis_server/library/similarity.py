"""Tracks that sound alike, from the 25-dimension fingerprints: standardised, weighted
Euclidean nearest neighbours, brute force in numpy (a million tracks is a 100 MB matrix and
a few tens of milliseconds a query).

Each dimension is standardised over the library (z-scores), so tempo in BPM and fractions
in [0, 1] count alike before their weights; `WEIGHTS` (documented in docs/subsonic.md) then
favour what a listener hears as "the same kind of sound" — band balance, brightness,
dynamics, density — over what is mostly incidental (silence, phase).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import peewee

from auralis_server.library.models import Fingerprint
from shared.dimensions import DIMENSION_COUNT, DIMENSION_NAMES

WEIGHTS: dict[str, float] = {
    "sub_bass_pct": 1.0,
    "bass_pct": 1.0,
    "low_mid_pct": 1.0,
    "mid_pct": 1.0,
    "upper_mid_pct": 1.0,
    "presence_pct": 1.0,
    "air_pct": 1.0,
    "lufs": 0.5,
    "crest_db": 1.0,
    "bass_mid_ratio": 0.5,
    "tempo_bpm": 0.75,
    "rhythm_stability": 0.5,
    "transient_density": 1.0,
    "silence_ratio": 0.25,
    "spectral_centroid": 1.0,
    "spectral_rolloff": 0.5,
    "spectral_flatness": 0.75,
    "harmonic_ratio": 1.0,
    "pitch_stability": 0.5,
    "chroma_energy": 0.5,
    "dynamic_range_variation": 0.75,
    "loudness_variation_std": 0.75,
    "peak_consistency": 0.5,
    "stereo_width": 0.5,
    "phase_correlation": 0.25,
}
assert tuple(WEIGHTS) == DIMENSION_NAMES

_WEIGHT_VECTOR = np.sqrt(np.array([WEIGHTS[name] for name in DIMENSION_NAMES]))


@dataclass(frozen=True)
class Match:
    track_id: int
    similarity: float  # 1: the same sound; 0: the library's most different track from the seed


@dataclass(frozen=True)
class _Space:
    """Every fingerprinted track as a row of weighted z-scores (distance = Euclidean)."""

    track_ids: npt.NDArray[np.int64]
    points: npt.NDArray[np.float64]

    def row_of(self, track_ids: Sequence[int]) -> npt.NDArray[np.int64]:
        wanted = np.isin(self.track_ids, np.asarray(track_ids, dtype=np.int64))
        return np.flatnonzero(wanted)


_cache_lock = threading.Lock()
_cache: tuple[tuple[object, ...], _Space] | None = None


def _space() -> _Space:
    """The points, rebuilt only when the fingerprint table changed (count, newest, last id)."""
    global _cache
    stamp = tuple(
        Fingerprint.select(
            peewee.fn.COUNT(Fingerprint.id),
            peewee.fn.MAX(Fingerprint.computed_at),
            peewee.fn.MAX(Fingerprint.id),
            peewee.fn.SUM(Fingerprint.track),
        )
        .tuples()
        .get()
    )
    with _cache_lock:
        if _cache is not None and _cache[0] == stamp:
            return _cache[1]
    rows = list(Fingerprint.select(Fingerprint.track, Fingerprint.vector).tuples())
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    raw = b"".join(bytes(row[1]) for row in rows)
    values = np.frombuffer(raw, dtype="<f4").reshape(len(rows), DIMENSION_COUNT)
    values = values.astype(np.float64)
    mean = values.mean(axis=0) if len(rows) else np.zeros(DIMENSION_COUNT)
    spread = values.std(axis=0) if len(rows) else np.ones(DIMENSION_COUNT)
    spread[~(spread > 1e-12)] = 1.0  # a constant dimension separates nothing
    space = _Space(ids, (values - mean) / spread * _WEIGHT_VECTOR)
    with _cache_lock:
        _cache = (stamp, space)
    return space


def _ranked(
    space: _Space, seed: npt.NDArray[np.float64], exclude: set[int], count: int
) -> list[Match]:
    distances = np.sqrt(((space.points - seed) ** 2).sum(axis=1))
    farthest = float(distances.max()) if len(distances) else 0.0
    order = np.argsort(distances, kind="stable")
    matches = []
    for row in order:
        track_id = int(space.track_ids[row])
        if track_id in exclude:
            continue
        similarity = 1.0 - float(distances[row]) / farthest if farthest > 0 else 1.0
        matches.append(Match(track_id, round(similarity, 6)))
        if len(matches) == count:
            break
    return matches


def similar_tracks(seed_ids: Sequence[int], count: int) -> list[Match]:
    """The ``count`` tracks nearest the centre of the seeds (seeds themselves left out);
    empty when none of the seeds has a fingerprint yet."""
    space = _space()
    rows = space.row_of(seed_ids)
    if not len(rows):
        return []
    seed = space.points[rows].mean(axis=0)
    return _ranked(space, seed, set(seed_ids), count)


def sonic_path(start_id: int, end_id: int, count: int) -> list[Match]:
    """``count`` tracks from ``start_id`` to ``end_id`` (both included when fingerprinted),
    each step the unused track nearest the next point on the straight line between them;
    similarity is to the start."""
    space = _space()
    start_rows, end_rows = space.row_of([start_id]), space.row_of([end_id])
    if not len(start_rows) or not len(end_rows):
        return []
    start, end = space.points[start_rows[0]], space.points[end_rows[0]]
    used = {start_id, end_id}
    path = [start_id]
    steps = max(count - 2, 0)
    for step in range(1, steps + 1):
        point = start + (end - start) * step / (steps + 1)
        found = _ranked(space, point, used, 1)
        if not found:
            break
        used.add(found[0].track_id)
        path.append(found[0].track_id)
    if count >= 2 and start_id != end_id:
        path.append(end_id)
    distances = np.sqrt(((space.points - start) ** 2).sum(axis=1))
    farthest = float(distances.max()) or 1.0
    by_id = dict(zip(space.track_ids.tolist(), distances.tolist(), strict=True))
    return [
        Match(track_id, round(1.0 - by_id[track_id] / farthest, 6)) for track_id in path[:count]
    ]
