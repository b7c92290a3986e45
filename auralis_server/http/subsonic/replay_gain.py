"""ReplayGain 2 values of songs from our own BS.1770 measurements, reference −18 LUFS.

``trackGain`` is −18 − the fingerprint's integrated loudness. ``albumGain`` is −18 − the
album loudness that album mode masters to (``mastering.album.album_loudness``: every 400 ms
block of every track of the album, from the stored block histograms). Only what is stored
is used — no request reads audio — so an album with a track not yet measured (no fingerprint
of the current version, or no histogram yet) has no ``albumGain`` until it is. ``trackPeak``
and ``albumPeak`` are left out: the fingerprint stores a sample-peak crest, not a true peak,
and measuring one here would read every listed track's audio on each request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auralis_server.audio.loudness import unpack_histogram
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.library import catalog
from auralis_server.library.models import Track
from auralis_server.mastering.album import AlbumMember, album_loudness

REFERENCE_LUFS = -18.0
_BATCH = 500  # ids per IN (…) query, under every database's parameter limit


@dataclass(frozen=True)
class Loudness:
    """What the songs of one answer need: loudness by track id and by album name."""

    track_lufs: dict[int, float]
    album_lufs: dict[str, float]

    def of(self, track: Track) -> dict[str, float]:
        """The song's ``replayGain``: the gains known, nothing else (OpenSubsonic leaves out
        what is not present, and keeps the element)."""
        gains: dict[str, float] = {}
        track_gain = _gain_db(self.track_lufs.get(track.id))
        if track_gain is not None:
            gains["trackGain"] = track_gain
        album_gain = _gain_db(self.album_lufs.get(track.album)) if track.album else None
        if album_gain is not None:
            gains["albumGain"] = album_gain
        return gains


def _gain_db(lufs: float | None) -> float | None:
    if lufs is None or not math.isfinite(lufs):
        return None
    return round(REFERENCE_LUFS - lufs, 2)


def _batches(values: Sequence[int]) -> Iterable[Sequence[int]]:
    return (values[start : start + _BATCH] for start in range(0, len(values), _BATCH))


def measured(tracks: Sequence[Track]) -> Loudness:
    """The stored loudness of the tracks and of their albums, in a few queries."""
    albums = sorted({track.album for track in tracks if track.album})
    members: dict[str, list[int]] = {name: [] for name in albums}
    for start in range(0, len(albums), _BATCH):
        query = Track.select(Track.id, Track.album).where(
            Track.album.in_(albums[start : start + _BATCH]) & Track.scan_error.is_null()
        )
        for track_id, album in query.tuples():
            members[album].append(track_id)
    rows: dict[int, tuple[dict[str, float], bytes | None]] = {}
    for batch in _batches(sorted({i for ids in members.values() for i in ids})):
        rows.update(fingerprint_store.current_rows(list(batch)))
    track_lufs = catalog.integrated_lufs([track.id for track in tracks])
    album_lufs = {}
    for name, track_ids in members.items():
        lufs = _album_lufs([rows.get(track_id) for track_id in track_ids])
        if lufs is not None:
            album_lufs[name] = lufs
    return Loudness(track_lufs, album_lufs)


def _album_lufs(rows: list[tuple[dict[str, float], bytes | None] | None]) -> float | None:
    """Album mode's loudness of these tracks; None unless every one of them is measured."""
    album = []
    for row in rows:
        histogram = unpack_histogram(row[1]) if row is not None else None
        if row is None or histogram is None:
            return None
        album.append(AlbumMember(row[0], histogram))
    return album_loudness(album).lufs if album else None
