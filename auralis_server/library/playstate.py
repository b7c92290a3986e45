"""What the player was doing and what it has played: the saved play state a client resumes
from (on this machine or another), and the play counts behind "recently / most played".

The state is one row, written whole. A track the scanner has removed since drops out of the
queue when the state is read, the index following the track it pointed at. The client
decides when a play counts (half the track or 4 minutes, as scrobblers do) and reports it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from auralis_server.library.errors import InvalidQuery, TrackNotFound
from auralis_server.library.models import (
    REPEAT_MODES,
    SHUFFLE_MODES,
    PlayState,
    Track,
    utc_now,
)
from auralis_server.library.playlists import checked_track_ids, present_track_ids
from auralis_server.library.queries import MAX_ID, _int_param
from shared.presets import PRESET_NAMES

STATE_FIELDS = (
    "queue",
    "index",
    "position_s",
    "shuffle",
    "repeat",
    "preset",
    "intensity",
    "volume",
)
"""What a client writes; ``updated_at`` is the server's."""

_ROW = 1  # the one row's id
MAX_PLAYS_PAGE = 500
_PLAY_ORDERS = {
    "recent": (Track.last_played.desc(), Track.id.desc()),
    "most": (Track.play_count.desc(), Track.last_played.desc(), Track.id.desc()),
}


def read_state() -> dict[str, Any]:
    """The saved state; the empty one (nothing queued, modes off) before the first write."""
    row = PlayState.get_or_none(PlayState.id == _ROW)
    if row is None:
        return {
            "queue": [],
            "index": None,
            "position_s": 0.0,
            "shuffle": "off",
            "repeat": "off",
            "preset": None,
            "intensity": None,
            "volume": None,
            "updated_at": None,
        }
    queue, index, position_s = _without_removed(json.loads(row.queue), row.queue_index)
    return {
        "queue": queue,
        "index": index,
        "position_s": row.position_s if position_s is None else position_s,
        "shuffle": row.shuffle,
        "repeat": row.repeat,
        "preset": row.preset,
        "intensity": row.intensity,
        "volume": row.volume,
        "updated_at": row.updated_at.isoformat() + "Z",
    }


def _without_removed(
    queue: list[int], index: int | None
) -> tuple[list[int], int | None, float | None]:
    """The queue without removed tracks, the index following its track (or the next one
    left), and position 0 when the current track itself is gone (None: the position stands)."""
    present = present_track_ids(queue)
    if present.issuperset(queue):
        return queue, index, None
    kept = [track_id for track_id in queue if track_id in present]
    if index is None:
        return kept, None, None
    moved = sum(1 for track_id in queue[:index] if track_id in present)
    position_s = None if queue[index] in present else 0.0
    return kept, moved if moved < len(kept) else None, position_s


def write_state(body: Mapping[str, object]) -> dict[str, Any]:
    """Check every field of ``body`` (all of `STATE_FIELDS`), store them, return the state."""
    queue = checked_track_ids(body["queue"], "queue")
    index = body["index"]
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise InvalidQuery(f"index must be an integer or null, got {index!r:.40}")
    if index is not None and not 0 <= index < len(queue):
        raise InvalidQuery(f"index {index} is outside the queue of {len(queue)} tracks")
    values = {
        "queue": json.dumps(queue, separators=(",", ":")),
        "queue_index": index,
        "position_s": _number(body, "position_s", 0.0, sys.float_info.max, nullable=False),
        "shuffle": _choice(body, "shuffle", SHUFFLE_MODES, nullable=False),
        "repeat": _choice(body, "repeat", REPEAT_MODES, nullable=False),
        "preset": _choice(body, "preset", PRESET_NAMES, nullable=True),
        "intensity": _number(body, "intensity", 0.0, 1.0, nullable=True),
        "volume": _number(body, "volume", 0.0, 1.0, nullable=True),
        "updated_at": utc_now(),
    }
    PlayState.insert(id=_ROW, **values).on_conflict(
        conflict_target=[PlayState.id], update=values
    ).execute()
    return read_state()


def _number(
    body: Mapping[str, object], name: str, low: float, high: float, *, nullable: bool
) -> float | None:
    value = body[name]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a number or null" if nullable else "a number"
        raise InvalidQuery(f"{name} must be {kind}, got {value!r:.40}")
    if not low <= value <= high:  # NaN fails too
        raise InvalidQuery(f"{name} must be between {low:g} and {high:g}, got {value!r:.40}")
    return float(value)


def _choice(
    body: Mapping[str, object], name: str, choices: tuple[str, ...], *, nullable: bool
) -> str | None:
    value = body[name]
    if value is None and nullable:
        return None
    if not isinstance(value, str) or value not in choices:
        raise InvalidQuery(f"{name} must be one of {', '.join(choices)}, got {value!r:.40}")
    return value


def record_play(track_id: int) -> Track:
    """Count one play of the track, now; `TrackNotFound` for an unknown id."""
    played = 0
    if 0 <= track_id <= MAX_ID:
        played = (
            Track.update(play_count=Track.play_count + 1, last_played=utc_now())
            .where(Track.id == track_id)
            .execute()
        )
    if not played:
        raise TrackNotFound(f"no track with id {track_id}")
    return Track.get_by_id(track_id)


def played_tracks(params: Mapping[str, str]) -> list[Track]:
    """Tracks played at least once: ``order=recent`` (default) or ``most``, ``limit`` of them."""
    order = params.get("order") or "recent"
    if order not in _PLAY_ORDERS:
        raise InvalidQuery(f"order must be one of {', '.join(_PLAY_ORDERS)}, got {order!r:.40}")
    limit = _int_param(params, "limit", 50, 1, MAX_PLAYS_PAGE)
    query = Track.select().where(Track.play_count > 0).order_by(*_PLAY_ORDERS[order])
    return list(query.limit(limit))


def play_json(track: Track) -> dict[str, Any]:
    """What recording a play answers."""
    return {
        "track_id": track.id,
        "play_count": track.play_count,
        "last_played": track.last_played.isoformat() + "Z" if track.last_played else None,
    }
