"""Where `next`, `previous` and a seek lead, as cmus users expect: pure decisions from what
the listener hears now (or the target of a jump still pending)."""

from __future__ import annotations

from auralis_tui.engine.timeline import NowPlaying

# `previous` restarts the playing track once this far in, as cmus and most players do.
RESTART_AFTER_S = 3.0


def skip_destination(now: NowPlaying, step: int, queue_length: int) -> int | None:
    """The queue index to play from its start, or None to stop (next on the last track)."""
    if step > 0:
        return now.index + step if now.index + step < queue_length else None
    if now.position_frame >= RESTART_AFTER_S * now.rate_hz or now.index == 0:
        return now.index
    return max(0, now.index + step)


def seek_destination_s(now: NowPlaying, seconds: float) -> float:
    """``seconds`` kept inside the track (its last frame at most)."""
    return min(max(0.0, seconds), (now.total_frames - 1) / now.rate_hz)
