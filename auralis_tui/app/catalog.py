"""What the client knows about tracks: their listings, fingerprint statuses and the plan.

Plain Python, shared by the screens and the now-playing bar so that each view can name a
track it did not list itself (the queue, the bar) and a plan is fetched once per setting.
"""

from __future__ import annotations

from typing import Any

PlanKey = tuple[int, str, float]  # track id, preset, intensity


class Catalog:
    def __init__(self) -> None:
        self._tracks: dict[int, dict[str, Any]] = {}
        self._fingerprints: dict[int, str] = {}
        self._plan: tuple[PlanKey, dict[str, Any]] | None = None
        self.highlighted_id: int | None = None  # the library's track under the cursor

    def remember(self, tracks: list[dict[str, Any]]) -> None:
        """Keep listed tracks; a fingerprint status from the event stream beats a listing's."""
        for track in tracks:
            self._tracks[track["id"]] = track
            status = self._fingerprints.setdefault(track["id"], track["fingerprint_status"])
            track["fingerprint_status"] = status

    def track(self, track_id: int | None) -> dict[str, Any] | None:
        return None if track_id is None else self._tracks.get(track_id)

    def rows(self, track_ids: list[int]) -> list[dict[str, Any]]:
        """Table rows for ``track_ids``; a track never listed shows as its id."""
        return [
            self._tracks.get(track_id, {"id": track_id, "title": f"track {track_id}"})
            for track_id in track_ids
        ]

    def fingerprint(self, track_id: int | None) -> str | None:
        return None if track_id is None else self._fingerprints.get(track_id)

    def set_fingerprint(self, track_id: int, status: str) -> None:
        self._fingerprints[track_id] = status

    def plan(self, key: PlanKey) -> dict[str, Any] | None:
        """The plan for ``key`` if it is the last one fetched."""
        return self._plan[1] if self._plan is not None and self._plan[0] == key else None

    def set_plan(self, key: PlanKey, plan: dict[str, Any]) -> None:
        self._plan = (key, plan)
