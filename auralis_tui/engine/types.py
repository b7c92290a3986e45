"""The playback vocabulary the engine, the session and the commands share."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
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
