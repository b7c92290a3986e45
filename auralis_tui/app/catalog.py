"""What the client knows about tracks: their listings, fingerprint statuses and the plan.

Plain Python, shared by the screens and the now-playing bar so that each view can name a
track it did not list itself (the queue, the bar) and a plan is fetched once per setting.
Tables hold only ids; the rows they show come from here, fetched a block at a time, and the
least recently shown are forgotten so that scrolling through 60 000 tracks keeps memory flat.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

PlanKey = tuple[int, str, float]  # track id, preset, intensity
CACHED_TRACKS = 5000  # rows kept: a few screens of every view, a few MB


class Catalog:
    def __init__(self, capacity: int = CACHED_TRACKS) -> None:
        self._tracks: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._capacity = capacity
        self._fingerprints: dict[int, str] = {}
        self._plan: tuple[PlanKey, dict[str, Any]] | None = None
        self.highlighted_id: int | None = None  # the library's track under the cursor

    def remember(self, tracks: list[dict[str, Any]]) -> None:
        """Keep listed tracks; a fingerprint status from the event stream beats a listing's."""
        for track in tracks:
            self._tracks[track["id"]] = track
            self._tracks.move_to_end(track["id"])
            self._fingerprints.setdefault(track["id"], track["fingerprint_status"])
        while len(self._tracks) > self._capacity:
            self._tracks.popitem(last=False)

    def track(self, track_id: int | None) -> dict[str, Any] | None:
        """The track if it is known; looking it up keeps it from being forgotten soon."""
        if track_id is None or track_id not in self._tracks:
            return None
        self._tracks.move_to_end(track_id)
        return self._tracks[track_id]

    def __len__(self) -> int:
        return len(self._tracks)

    def fingerprint(self, track_id: int | None) -> str | None:
        """The latest status heard: from the event stream, else from the track's listing."""
        return None if track_id is None else self._fingerprints.get(track_id)

    def set_fingerprint(self, track_id: int, status: str) -> None:
        self._fingerprints[track_id] = status

    def plan(self, key: PlanKey) -> dict[str, Any] | None:
        """The plan for ``key`` if it is the last one fetched."""
        return self._plan[1] if self._plan is not None and self._plan[0] == key else None

    def set_plan(self, key: PlanKey, plan: dict[str, Any]) -> None:
        self._plan = (key, plan)
