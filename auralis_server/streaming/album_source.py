"""Album loudness of a track's album, from what the fingerprint job stored, measuring the rest.

Each album track contributes its plan inputs (the stored fingerprint, or the cold path's,
with its level profile) and its block-loudness histogram. The fingerprint job's Python path stores the histogram
with the fingerprint; a track fingerprinted by Rust, from a sidecar or before schema 5 has
none, so the first album play decodes it once, measures the histogram with the same meter
(``audio.loudness``) and keeps it on the fingerprint row (or in memory, for a track with no
row yet). A track that cannot be read is left out of its album, with a warning.

Looking an album up costs a few ms of queries and file checks, and a stream asks once per
chunk, so a track's answer is reused for ``ALBUM_MEMO_S``: a rescan or a new fingerprint
reaches album loudness within that time, and the chunks of one request share one answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from auralis_server.audio.arrays import Array
from auralis_server.audio.loudness import loudness_histogram, pack_histogram, unpack_histogram
from auralis_server.audio.source import AudioReadError, read_frames
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.library.album_members import album_audio
from auralis_server.mastering.album import AlbumLoudness, AlbumMember, album_loudness

log = logging.getLogger("auralis.album")

_MEASURED_TRACKS = 1024  # histograms of tracks without a fingerprint row, kept in memory
ALBUM_MEMO_S = 10.0
_MEMO_TRACKS = 256

if TYPE_CHECKING:
    from auralis_server.streaming.plan_source import TrackInputs

Inputs = Callable[[TrackAudio], "TrackInputs"]


class AlbumSource:
    def __init__(self, inputs: Inputs) -> None:
        self._inputs = inputs
        self._measured: OrderedDict[tuple[int, str, tuple[int, int]], Array] = OrderedDict()
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple[int, tuple[int, int]], tuple[float, AlbumLoudness | None]]
        self._recent = OrderedDict()

    def album_for(self, audio: TrackAudio) -> AlbumLoudness | None:
        """The album loudness of the track's album; None when it has no album tag."""
        key, now = (audio.track_id, audio.signature), time.monotonic()
        with self._lock:
            found = self._recent.get(key)
            if found is not None and now - found[0] < ALBUM_MEMO_S:
                return found[1]
        album = self._look_up(audio)
        with self._lock:
            self._recent[key] = (now, album)
            self._recent.move_to_end(key)
            while len(self._recent) > _MEMO_TRACKS:
                self._recent.popitem(last=False)
        return album

    def _look_up(self, audio: TrackAudio) -> AlbumLoudness | None:
        geometry = audio.geometry
        tracks = album_audio(audio.track_id, geometry.chunk_frames / geometry.sample_rate_hz)
        if tracks is None:
            return None
        stored = fingerprint_store.current_rows([track.track_id for track in tracks])
        members = []
        for track in tracks:
            row = stored.get(track.track_id)
            try:
                inputs = self._inputs(track)
                histogram = unpack_histogram(row.histogram if row is not None else None)
                if histogram is None:
                    histogram = self._measure(track, has_row=row is not None)
                members.append(AlbumMember(inputs.values, histogram, inputs.profile))
            except AudioReadError as exc:
                log.warning("track %d left out of its album's loudness: %s", track.track_id, exc)
        return album_loudness(members) if members else None

    def _measure(self, track: TrackAudio, *, has_row: bool) -> Array:
        """The histogram from the audio (once per file version), stored where it can be."""
        key = (track.track_id, str(track.path), track.signature)
        with self._lock:
            if key in self._measured:
                self._measured.move_to_end(key)
                return self._measured[key]
        samples = read_frames(track.path, 0, track.geometry.total_frames)
        histogram = loudness_histogram(samples, track.geometry.sample_rate_hz)
        log.info("track %d: block-loudness histogram measured for album mode", track.track_id)
        if has_row:
            fingerprint_store.save_loudness_histogram(track.track_id, pack_histogram(histogram))
            return histogram
        with self._lock:
            self._measured[key] = histogram
            while len(self._measured) > _MEASURED_TRACKS:
                self._measured.popitem(last=False)
        return histogram
