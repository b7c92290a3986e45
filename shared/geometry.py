"""Chunk geometry: how a track's samples are cut into chunks with an overlap tail.

Chunk ``i`` covers the core frames ``[i·L, min((i+1)·L, total))``. Every chunk but the last
is followed by a tail of ``min(O, frames left after it)`` frames that repeats the start of
chunk ``i+1``, so a client can crossfade across the seam. The last chunk is shorter (or
equal) and carries no tail.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CHUNK_SECONDS = 10.0
DEFAULT_OVERLAP_SECONDS = 0.1


@dataclass(frozen=True)
class ChunkGeometry:
    """The chunking of one track; all counts are sample frames (one frame = all channels)."""

    total_frames: int
    sample_rate_hz: int
    chunk_frames: int
    overlap_frames: int

    def __post_init__(self) -> None:
        if self.total_frames < 0:
            raise ValueError(f"total_frames must be >= 0, got {self.total_frames}")
        if self.sample_rate_hz <= 0:
            raise ValueError(f"sample_rate_hz must be > 0, got {self.sample_rate_hz}")
        if self.chunk_frames <= 0:
            raise ValueError(f"chunk_frames must be > 0, got {self.chunk_frames}")
        if not 0 <= self.overlap_frames <= self.chunk_frames:
            raise ValueError(
                f"overlap_frames must be in [0, chunk_frames], got {self.overlap_frames}"
            )

    @classmethod
    def for_track(
        cls,
        total_frames: int,
        sample_rate_hz: int,
        chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
        overlap_seconds: float = DEFAULT_OVERLAP_SECONDS,
    ) -> ChunkGeometry:
        """Geometry from durations; lengths are rounded to whole frames (at least one)."""
        chunk_frames = max(1, round(chunk_seconds * sample_rate_hz))
        overlap_frames = min(chunk_frames, max(0, round(overlap_seconds * sample_rate_hz)))
        return cls(total_frames, sample_rate_hz, chunk_frames, overlap_frames)

    @property
    def chunk_count(self) -> int:
        return -(-self.total_frames // self.chunk_frames)

    @property
    def chunk_seconds(self) -> float:
        return self.chunk_frames / self.sample_rate_hz

    @property
    def duration_seconds(self) -> float:
        return self.total_frames / self.sample_rate_hz

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.chunk_count:
            raise IndexError(f"chunk {index} out of range 0..{self.chunk_count - 1}")

    def core_bounds(self, index: int) -> tuple[int, int]:
        """``(start, stop)`` frames of the chunk's own samples, stop exclusive."""
        self._check_index(index)
        start = index * self.chunk_frames
        return start, min(start + self.chunk_frames, self.total_frames)

    def core_frames(self, index: int) -> int:
        start, stop = self.core_bounds(index)
        return stop - start

    def tail_frames(self, index: int) -> int:
        """Frames of overlap tail after chunk ``index``: 0 for the last chunk."""
        _, stop = self.core_bounds(index)
        return min(self.overlap_frames, self.total_frames - stop)

    def span(self, index: int) -> tuple[int, int]:
        """``(start, stop)`` frames of core plus tail, the samples a frame on the wire carries."""
        start, stop = self.core_bounds(index)
        return start, stop + self.tail_frames(index)

    def chunk_at_frame(self, frame: int) -> int:
        """Index of the chunk whose core holds ``frame`` (used for seeking)."""
        if not 0 <= frame < self.total_frames:
            raise IndexError(f"frame {frame} outside track of {self.total_frames} frames")
        return frame // self.chunk_frames

    def as_dict(self) -> dict[str, int | float]:
        return {
            "total_frames": self.total_frames,
            "sample_rate_hz": self.sample_rate_hz,
            "chunk_frames": self.chunk_frames,
            "overlap_frames": self.overlap_frames,
            "chunk_count": self.chunk_count,
            "chunk_seconds": self.chunk_seconds,
            "duration_seconds": self.duration_seconds,
        }
