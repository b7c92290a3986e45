"""What the UI, the CLI and tests may ask of the player: messages, never shared state.

The player's command task applies them one at a time, in order, between its own awaits, so
a second seek in the same batch sees the target of the first, and nothing but the player
writes its ring, timeline or feeders.
"""

from __future__ import annotations

from dataclasses import dataclass

from auralis_tui.engine.play_order import PlayMode
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


@dataclass(frozen=True)
class SetMode:
    """Shuffle and repeat (play_order.py): what follows the playing track is decided anew."""

    mode: PlayMode


# Queue edits (queue_edits.py applies them). Indices are the queue's as the sender saw it;
# "the playing entry" is the player's own: what the device plays, or a jump's target.


@dataclass(frozen=True)
class Delete:
    """Remove entry ``index``; the playing entry plays on to its end, then what followed it."""

    index: int


@dataclass(frozen=True)
class Move:
    """Move entry ``index`` by ``delta`` places (kept inside the queue)."""

    index: int
    delta: int


@dataclass(frozen=True)
class Clear:
    """Remove every entry but the playing one (which plays to its end)."""


@dataclass(frozen=True)
class InsertNext:
    """Insert tracks right after the playing entry: they play next (in shuffle too)."""

    track_ids: tuple[int, ...]


@dataclass(frozen=True)
class Append:
    """Add tracks at the end of the queue (in shuffle: somewhere in what is still to come)."""

    track_ids: tuple[int, ...]


QueueEdit = Delete | Move | Clear | InsertNext | Append

Command = (
    Jump
    | Skip
    | SeekTo
    | SeekBy
    | SetSettings
    | Pause
    | Resume
    | SetVolume
    | Stop
    | SetMode
    | QueueEdit
)
