"""Where `next`, `previous` and a seek lead, as cmus users expect: pure decisions from what
the listener hears now (or the target of a jump still pending) and the play order."""

from __future__ import annotations

from auralis_tui.engine.play_order import PlayOrder
from auralis_tui.engine.timeline import NowPlaying

# `previous` restarts the playing track once this far in, as cmus and most players do.
RESTART_AFTER_S = 3.0


def skip_destination(now: NowPlaying, step: int, order: PlayOrder) -> int | None:
    """The queue index to play from its start, or None: nothing to do (`next` on the last
    entry stops; a track deleted while playing has no start to go back to).

    `next` is the next entry in the play order (repeat one does not hold it); `previous`
    restarts the track after ``RESTART_AFTER_S``, else goes back through what was played
    (shuffle) or to the entry before (queue order).
    """
    if step > 0:
        return order.following(now.index, by_itself=False, detached=now.detached)
    if now.position_frame >= RESTART_AFTER_S * now.rate_hz and not now.detached:
        return now.index
    if order.mode.shuffle != "off":
        before = order.back(None if now.detached else now.index)
        return before if before is not None or now.detached else now.index
    if now.detached:
        return now.index - 1 if now.index > 0 else None
    return max(0, now.index + step)


def seek_destination_s(now: NowPlaying, seconds: float) -> float:
    """``seconds`` kept inside the track (its last frame at most)."""
    return min(max(0.0, seconds), (now.total_frames - 1) / now.rate_hz)
