"""The playback vocabulary the engine, the session and the commands share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auralis_tui.engine.timeline import NowPlaying


@dataclass(frozen=True)
class PlaybackSettings:
    preset: str = "adaptive"
    intensity: float = 1.0


@dataclass
class PlaybackReport:
    frames_played: int = 0
    seconds_played: float = 0.0
    underruns: int = 0
    tracks: list[int] = field(default_factory=list)  # fed to their end
    problems: list[str] = field(default_factory=list)  # tracks skipped or cut short, and why


@dataclass(frozen=True)
class PlayerSnapshot:
    """The player as the bar shows it, read at one instant."""

    state: str  # idle | buffering | playing | paused | ended
    now: NowPlaying | None  # the track, position and settings the device is taking
    settings: PlaybackSettings  # chosen: what the next fetch uses
    buffered_chunks: float
    underruns: int
    notice: str | None  # the last track problem, one line
    loudness: str = "track"  # the loudness mode the heard track was fetched in
