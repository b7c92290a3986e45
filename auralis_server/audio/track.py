"""A playable track as the audio layer sees it: a file, its chunk geometry, its identity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.geometry import ChunkGeometry


@dataclass(frozen=True)
class TrackAudio:
    """What a renderer needs to know of a track; no database types leak past this."""

    track_id: int
    path: Path
    geometry: ChunkGeometry
    channels: int
    signature: tuple[int, int] = (0, 0)  # (size, mtime_ns) of the file when it was read
