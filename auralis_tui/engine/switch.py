"""Where a preset or intensity change takes effect: the first chunk boundary the device has
not reached and whose audio is already buffered — in the playing track, or else the start
of the next buffered track. Audio before that point stays as it is; from there the ring is
rewritten with the new settings, the old plan's overlap tail fading into the new head.
"""

from __future__ import annotations

from dataclasses import dataclass

from auralis_tui.engine.joiner import ChunkJoiner
from auralis_tui.engine.timeline import FedTrack, Timeline

# A switch never rewrites audio the device may take within this many frames.
SWITCH_SAFETY_FRAMES = 8192


@dataclass(frozen=True)
class Refeed:
    """Rewrite the ring from ``entry``'s frame ``start_frame`` on, with the current settings."""

    entry: FedTrack
    start_frame: int
    joiner: ChunkJoiner


def switch_point(
    timeline: Timeline, read_position: int, written_frames: int, *, crossfading: bool
) -> Refeed | None:
    """None when nothing buffered lies past a boundary (the next fetch uses the settings).

    Tracks joined by a crossfade are not rewritten from their start: their first frames hold
    the previous track's fading tail, which is no longer at hand.
    """
    playing = timeline.playing_at(read_position)
    if playing is None:
        return None
    ahead = read_position + SWITCH_SAFETY_FRAMES
    refeed = _boundary_in(playing, playing.frame_at(ahead), written_frames)
    if refeed is not None or crossfading:
        return refeed
    upcoming = [entry for entry in timeline.after(playing) if entry.anchor_written >= ahead]
    return Refeed(upcoming[0], upcoming[0].anchor_frame, ChunkJoiner()) if upcoming else None


def _boundary_in(entry: FedTrack, frame: int, written_frames: int) -> Refeed | None:
    """The first chunk boundary of ``entry`` after ``frame`` that is already written."""
    geometry = entry.geometry
    if frame >= geometry.total_frames:
        return None
    chunk = geometry.chunk_at_frame(max(0, frame)) + 1
    if chunk >= geometry.chunk_count:
        return None
    boundary = geometry.core_bounds(chunk)[0]
    if entry.written_at(boundary) > written_frames:
        return None  # not written yet: the feeder asks for it again with the new settings
    joiner = ChunkJoiner()
    joiner.prime(entry.tails.get(chunk - 1))  # the old plan's tail fades into the new head
    return Refeed(entry, boundary, joiner)
