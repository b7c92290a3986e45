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
per-track term, what the plan's model (``plan.eq_level_change_db``, ``level.py``) says
the shared EQ and compressor do to the album minus what they do to this track, so every
track's loudness moves by the album's amount. A track's output estimate is the album's,
shifted by how far the track's loudness lies from the album's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from auralis_server.audio.arrays import Array
from auralis_server.audio.loudness import histogram_energy, histogram_loudness
from auralis_server.mastering.level import compressor_loudness_change_db
from auralis_server.mastering.plan import (
    LUFS_TO_RMS_DB,
    REFERENCE_BANDS,
    Compressor,
    EqBand,
    Plan,
    eq_level_change_db,
    k_weighting_db,
    make_plan,
    with_hash,
)


@dataclass(frozen=True)
class AlbumMember:
    """What album loudness needs of one track: its plan inputs and block-loudness counts."""

    values: dict[str, float]
    histogram: Array


@dataclass(frozen=True)
class AlbumLoudness:
    lufs: float  # gated BS.1770 loudness over every block of every track
    crest_db: float  # the album's highest peak (a track's lufs + crest) over ``lufs``
    bands: dict[str, float]  # band balance of the whole album, energy-weighted
    tracks: int

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
    return AlbumLoudness(lufs, round(peak - lufs, 2), bands, len(members))


def album_plan(
    track_values: dict[str, float],
    album: AlbumLoudness,
    preset_name: str,
    intensity: float,
    target_lufs: float | None = None,
) -> Plan:
    """The plan of one track of ``album``: the album's plan, the compressor threshold and the
    output estimate moved by the track's distance from the album's loudness."""
    base = make_plan(album.values(), preset_name, intensity, target_lufs)
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
        compensation_db = _chain_loudness_db(album.values(), base.eq, base.compressor) - (
            _chain_loudness_db(track_values, base.eq, compressor)
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


def _chain_loudness_db(
    values: dict[str, float], eq: tuple[EqBand, ...], compressor: Compressor | None
) -> float:
    """The loudness change the plan's model predicts of this EQ and compressor on a track."""
    bands = {name: round(float(values[name]), 4) for name in REFERENCE_BANDS}
    eq_loudness_db, eq_energy_db = eq_level_change_db(bands, eq)
    if compressor is None:
        return eq_loudness_db
    est_rms = round(values["lufs"], 2) + LUFS_TO_RMS_DB - k_weighting_db(bands)
    over_rms_db = compressor.threshold_dbfs - (est_rms + eq_energy_db)
    return eq_loudness_db + compressor_loudness_change_db(
        over_rms_db, compressor.ratio, compressor.knee_db, round(values["crest_db"], 2)
    )


def _round(value: float) -> float:
    return round(value, 2) + 0.0 if math.isfinite(value) else value
