"""What the UI, the CLI and tests may ask of the player: messages, never shared state.

The player's command task applies them one at a time, in order, between its own awaits, so
a second seek in the same batch sees the target of the first, and nothing but the player
writes its ring, timeline or feeders.
"""

from __future__ import annotations

from dataclasses import dataclass

from auralis_tui.engine.types import PlaybackSettings


@dataclass(frozen=True)
class Play:
    """Start a run through ``queue`` from entry ``index``, ``start_s`` into it (the session)."""

    queue: tuple[int, ...]
    index: int = 0
    start_s: float = 0.0


@dataclass(frozen=True)
class Jump:
    """Drop what is buffered and play queue entry ``index`` from ``start_s``."""

    index: int
    start_s: float = 0.0


@dataclass(frozen=True)
class Skip:
    """Next (+1) or previous (-1), as cmus does it (navigation.py)."""

    step: int


@dataclass(frozen=True)
class SeekTo:
    seconds: float


@dataclass(frozen=True)
class SeekBy:
    """Relative to a jump still pending, else to what the device is playing."""

    delta_s: float


@dataclass(frozen=True)
class SetSettings:
    """A preset/intensity from the next chunk boundary the device has not reached."""

    settings: PlaybackSettings


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class SetVolume:
    volume: float  # linear gain 0…1


@dataclass(frozen=True)
class Stop:
    """End the run now: what is buffered is dropped."""


Command = Jump | Skip | SeekTo | SeekBy | SetSettings | Pause | Resume | SetVolume | Stop
