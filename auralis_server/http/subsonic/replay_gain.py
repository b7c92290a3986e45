"""ReplayGain 2 values of songs from our own BS.1770 and true-peak measurements, reference
−18 LUFS.

``trackGain`` is −18 − the fingerprint's integrated loudness. ``albumGain`` is −18 − the
album loudness that album mode masters to (``mastering.album.album_loudness``: every 400 ms
block of every track of the album, from the stored block histograms). ``trackPeak`` is the
track's stored true peak (linear, 4× oversampled), ``albumPeak`` the largest of its album's.
Only what is stored is used — no request reads audio — so an album with a track not yet
measured (no fingerprint of the current version, no histogram or no true peak yet) has no
album value until it is.
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
    """What the songs of one answer need, by track id and by album name."""

    track_lufs: dict[int, float]
    album_lufs: dict[str, float]
    track_peak: dict[int, float]
    album_peak: dict[str, float]

    def of(self, track: Track) -> dict[str, float]:
        """The song's ``replayGain``: the values known, nothing else (OpenSubsonic leaves out
        what is not present, and keeps the element)."""
        album = track.album or None
        found = {
            "trackGain": _gain_db(self.track_lufs.get(track.id)),
            "albumGain": _gain_db(self.album_lufs.get(album)) if album else None,
            "trackPeak": _peak(self.track_peak.get(track.id)),
            "albumPeak": _peak(self.album_peak.get(album)) if album else None,
        }
        return {name: value for name, value in found.items() if value is not None}


def _gain_db(lufs: float | None) -> float | None:
    if lufs is None or not math.isfinite(lufs):
        return None
    return round(REFERENCE_LUFS - lufs, 2)


def _peak(linear: float | None) -> float | None:
    if linear is None or not math.isfinite(linear) or linear < 0:
        return None
    return round(linear, 6)


def _batches(values: Sequence[int]) -> Iterable[list[int]]:
    return (list(values[start : start + _BATCH]) for start in range(0, len(values), _BATCH))


def _album_members(tracks: Sequence[Track]) -> dict[str, list[int]]:
    """The track ids of every album the tracks belong to (the key album mode groups by)."""
    albums = sorted({track.album for track in tracks if track.album})
    members: dict[str, list[int]] = {name: [] for name in albums}
    for start in range(0, len(albums), _BATCH):
        query = Track.select(Track.id, Track.album).where(
            Track.album.in_(albums[start : start + _BATCH]) & Track.scan_error.is_null()
        )
        for track_id, album in query.tuples():
            members[album].append(track_id)
    return members


def measured(tracks: Sequence[Track]) -> Loudness:
    """The stored loudness and peaks of the tracks and of their albums, in a few queries."""
    members = _album_members(tracks)
    member_ids = sorted({track_id for ids in members.values() for track_id in ids})
    rows: dict[int, fingerprint_store.Stored] = {}
    peaks: dict[int, float] = {}
    for batch in _batches(member_ids):
        rows.update(fingerprint_store.current_rows(batch))
    for batch in _batches(sorted({track.id for track in tracks} | set(member_ids))):
        peaks.update(fingerprint_store.true_peaks(batch))
    album_lufs, album_peak = {}, {}
    for name, track_ids in members.items():
        lufs = _album_lufs([rows.get(track_id) for track_id in track_ids])
        if lufs is not None:
            album_lufs[name] = lufs
        if track_ids and all(track_id in peaks for track_id in track_ids):
            album_peak[name] = max(peaks[track_id] for track_id in track_ids)
    track_lufs = catalog.integrated_lufs([track.id for track in tracks])
    return Loudness(track_lufs, album_lufs, peaks, album_peak)


def _album_lufs(rows: list[fingerprint_store.Stored | None]) -> float | None:
    """Album mode's loudness of these tracks; None unless every one of them is measured."""
    album = []
    for row in rows:
        histogram = unpack_histogram(row.histogram) if row is not None else None
        if row is None or histogram is None:
            return None
        album.append(AlbumMember(row.values, histogram))
    return album_loudness(album).lufs if album else None
