"""The chunk rendering stage: (track, chunk index, plan) -> samples of core plus overlap tail.

Streaming, chunk files and the chunk cache call only ``ChunkRenderer``; the server's renderer
is the mastering one (``mastering_renderer``). ``IdentityRenderer`` carries the original
audio, so every frame equals the source samples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from auralis_server.audio_source import read_frames
from shared.geometry import ChunkGeometry
from shared.wire import Samples


@dataclass(frozen=True)
class TrackAudio:
    """What a renderer needs to know of a track; no database types leak past this."""

    track_id: int
    path: Path
    geometry: ChunkGeometry
    channels: int
    signature: tuple[int, int] = (0, 0)  # (size, mtime_ns) of the file when it was read


@dataclass(frozen=True)
class RenderSettings:
    """Per-track processing parameters, constant for the whole track."""

    preset: str
    intensity: float
    stage: str = "identity"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChunkRenderer(Protocol):
    def describe(self, audio: TrackAudio, settings: RenderSettings) -> str:
        """What decides this renderer's output for the track (a plan hash); part of cache keys."""
        ...

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        """(core + tail frames, channels) float32 of chunk ``chunk_index``; blocking, CPU-bound."""
        ...


class IdentityRenderer:
    """Decodes the chunk's span from the file, seeking straight to it."""

    def describe(self, audio: TrackAudio, settings: RenderSettings) -> str:
        return "identity"

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        start, stop = audio.geometry.span(chunk_index)
        return read_frames(audio.path, start, stop)
