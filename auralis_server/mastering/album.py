"""Album mode: one level gain and one LWRP decision for every track of an album.

Track mode brings each track to the preset's target, so a quiet intro and a loud single of
one album come out equally loud. Album mode plans the album as if it were one long track —
its BS.1770 loudness over all blocks of all its tracks (the summed block-loudness
histograms), its crest (the album's highest peak over that loudness: the crest of the
album played as one track) and its band balance (the tracks' balances weighted by their
energy) — and gives every track that plan: the same EQ, expansion, compressor ratio and
level gain, so the differences between tracks (the album's internal dynamics) survive.

Two things follow the track. The compressor's threshold sits as far above each track's own
level as the album plan puts it above the album's, so no track is squashed just for being
the loud one. And one EQ does not move every track's loudness alike (on a generated album
of three mixes the shared EQ alone moved them up to 1 LU apart): the level gain gets a
per-track term, what the plan's model (``plan.chain_loudness_db``, over the level profiles
when known: the album's is the sum of its tracks') says the shared EQ and compressor do to
the album minus what they do to this track, so every track's loudness moves by the album's
amount. A track's output estimate is the album's,
shifted by how far the track's loudness lies from the album's.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from auralis_server.audio.arrays import Array
from auralis_server.audio.loudness import histogram_energy, histogram_loudness
from auralis_server.mastering.plan import (
    REFERENCE_BANDS,
    Plan,
    chain_loudness_db,
    make_plan,
    with_hash,
)
from auralis_server.mastering.profile import LevelProfile


@dataclass(frozen=True)
class AlbumMember:
    """What album loudness needs of one track: its plan inputs, block-loudness counts and
    level profile."""

    values: dict[str, float]
    histogram: Array
    profile: LevelProfile | None = None


@dataclass(frozen=True)
class AlbumLoudness:
    lufs: float  # gated BS.1770 loudness over every block of every track
    crest_db: float  # the album's highest peak (a track's lufs + crest) over ``lufs``
    bands: dict[str, float]  # band balance of the whole album, energy-weighted
    tracks: int
    profile: LevelProfile | None = None  # the tracks' summed profiles, when all have one

    def values(self) -> dict[str, float]:
        """The album as plan inputs, as if it were one track."""
        return {"lufs": self.lufs, "crest_db": self.crest_db, **self.bands}

    def as_dict(self) -> dict[str, Any]:
        return {"lufs": self.lufs, "crest_db": self.crest_db, "tracks": self.tracks}


def album_loudness(members: Sequence[AlbumMember]) -> AlbumLoudness:
    """Combine the tracks' histograms and plan inputs; ``ValueError`` for no tracks."""
    if not members:
        raise ValueError("an album needs at least one track")
    lufs = round(histogram_loudness(sum(m.histogram for m in members)), 2)
    peak = max(m.values["lufs"] + m.values["crest_db"] for m in members)
    energies = np.array([histogram_energy(m.histogram) for m in members])
    total = energies.sum()
    weights = energies / total if total > 0 else np.full(len(members), 1.0 / len(members))
    bands = {
        name: round(
            float(sum(w * m.values[name] for w, m in zip(weights, members, strict=True))), 4
        )
        for name in REFERENCE_BANDS
    }
    profiles = [m.profile for m in members if m.profile is not None]
    profile = functools.reduce(operator.add, profiles) if len(profiles) == len(members) else None
    return AlbumLoudness(lufs, round(peak - lufs, 2), bands, len(members), profile)


def album_plan(
    track_values: dict[str, float],
    album: AlbumLoudness,
    preset_name: str,
    intensity: float,
    target_lufs: float | None = None,
    track_profile: LevelProfile | None = None,
) -> Plan:
    """The plan of one track of ``album``: the album's plan, the compressor threshold and the
    output estimate moved by the track's distance from the album's loudness."""
    base = make_plan(album.values(), preset_name, intensity, target_lufs, album.profile)
    track_lufs, track_crest = round(track_values["lufs"], 2), round(track_values["crest_db"], 2)
    shift_db = track_lufs - album.lufs
    compressor = base.compressor
    if compressor is not None:
        compressor = dataclasses.replace(
            compressor, threshold_dbfs=_round(compressor.threshold_dbfs + shift_db)
        )
    compensation_db = 0.0
    estimate = track_lufs
    if not base.bypass:  # intensity 0: the original samples, nothing to compensate
        compensation_db = chain_loudness_db(
            album.values(), base.eq, base.compressor, base.expander, album.profile
        ) - chain_loudness_db(
            track_values,
            base.eq,
            compressor,
            base.expander,
            track_profile if album.profile is not None else None,
        )
        estimate = base.output_lufs_estimate + shift_db
    return with_hash(
        dataclasses.replace(
            base,
            input_lufs=track_lufs,
            input_crest_db=track_crest,
            compressor=compressor,
            makeup_db=_round(base.makeup_db + compensation_db),
            output_lufs_estimate=_round(estimate),
            hash="",
        )
    )


def _round(value: float) -> float:
    return round(value, 2) + 0.0 if math.isfinite(value) else value
