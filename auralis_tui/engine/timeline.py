"""Which track the device is playing: the map from ring-buffer positions to (track, frame).

The player owns one ``Timeline`` per ring buffer. Each fed track is an entry anchored at the
ring position where one of its frames was written; the entry playing is the last one whose
anchor the device's read position has passed. Entries stay until the device has moved past
them, however many short tracks are buffered at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from auralis_tui.engine.types import PlaybackSettings
from shared.geometry import ChunkGeometry

Samples = npt.NDArray[np.float32]


def geometry_of(track: dict[str, Any]) -> ChunkGeometry | None:
    """The track's chunking as the server announced it; None when it cannot be played."""
    shape = track.get("geometry")
    if shape is None:
        return None
    return ChunkGeometry(
        shape["total_frames"],
        shape["sample_rate_hz"],
        shape["chunk_frames"],
        shape["overlap_frames"],
    )


@dataclass
class FedTrack:
    """A track written (or being written) into the ring, and where its frames sit there."""

    index: int  # position in the queue (detached: the place of what followed it)
    track_id: int
    geometry: ChunkGeometry
    fade_frames: int
    detached: bool = False  # deleted from the queue while fed: it plays on to its end
    anchor_frame: int = 0  # the track frame written at ring position ``anchor_written``
    anchor_written: int = 0
    tails: dict[int, Samples] = field(default_factory=dict)  # overlap tail of each fed chunk
    # (ring position, settings) from which the frames written were rendered with them: the
    # bar names the preset heard, not the one chosen a chunk ago.
    settings_marks: list[tuple[int, PlaybackSettings]] = field(default_factory=list)

    def mark_settings(self, ring_position: int, settings: PlaybackSettings) -> None:
        """Frames from ``ring_position`` on are rendered with ``settings`` (what was
        written there before, with other settings, has been truncated)."""
        marks = [mark for mark in self.settings_marks if mark[0] < ring_position]
        if not marks or marks[-1][1] != settings:
            marks.append((ring_position, settings))
        self.settings_marks = marks

    def settings_at(self, ring_position: int) -> PlaybackSettings | None:
        heard = [
            settings for position, settings in self.settings_marks if position <= ring_position
        ]
        if heard:
            return heard[-1]
        return self.settings_marks[0][1] if self.settings_marks else None

    def frame_at(self, ring_position: int) -> int:
        return self.anchor_frame + ring_position - self.anchor_written

    def written_at(self, frame: int) -> int:
        """The ring position of track frame ``frame``."""
        return self.anchor_written + frame - self.anchor_frame


@dataclass(frozen=True)
class NowPlaying:
    """What the device is taking now: for the now-playing bar."""

    index: int
    track_id: int
    position_frame: int
    total_frames: int
    rate_hz: int
    chunk_frames: int
    settings: PlaybackSettings | None  # what the frames at the position were rendered with
    detached: bool = False  # deleted from the queue while playing; ``index`` is its place


def starting_at(
    index: int, track_id: int, geometry: ChunkGeometry, start_s: float, settings: PlaybackSettings
) -> NowPlaying:
    """What will play once a jump to ``start_s`` of the track lands (fetched with ``settings``)."""
    start = min(max(0, round(start_s * geometry.sample_rate_hz)), geometry.total_frames - 1)
    rate_hz, chunk_frames = geometry.sample_rate_hz, geometry.chunk_frames
    return NowPlaying(
        index, track_id, start, geometry.total_frames, rate_hz, chunk_frames, settings
    )


class Timeline:
    def __init__(self) -> None:
        self.entries: list[FedTrack] = []

    def add(self, entry: FedTrack, read_position: int) -> None:
        """Append ``entry``, forgetting the tracks the device has already left behind."""
        playing = self.playing_at(read_position)
        first = self.entries.index(playing) if playing is not None else len(self.entries)
        self.entries = [*self.entries[first:], entry]

    def keep_until(self, ring_position: int) -> list[FedTrack]:
        """Forget the entries that start after ``ring_position`` (their audio was dropped);
        returns them."""
        dropped = [entry for entry in self.entries if entry.anchor_written > ring_position]
        self.entries = self.entries[: len(self.entries) - len(dropped)]
        return dropped

    def drop_from(self, entry: FedTrack) -> list[FedTrack]:
        """Forget ``entry`` and those after it (the ring was cut where it starts); returns them."""
        first = self.entries.index(entry)
        dropped, self.entries = self.entries[first:], self.entries[:first]
        return dropped

    def playing_at(self, read_position: int) -> FedTrack | None:
        for entry in reversed(self.entries):
            if entry.anchor_written <= read_position:
                return entry
        return self.entries[0] if self.entries else None

    def after(self, entry: FedTrack) -> list[FedTrack]:
        return self.entries[self.entries.index(entry) + 1 :]

    def now(self, read_position: int, rate_hz: int) -> NowPlaying | None:
        entry = self.playing_at(read_position)
        if entry is None:
            return None
        total = entry.geometry.total_frames
        return NowPlaying(
            entry.index,
            entry.track_id,
            min(max(0, entry.frame_at(read_position)), total),
            total,
            rate_hz,
            entry.geometry.chunk_frames,
            entry.settings_at(read_position),
            entry.detached,
        )
