"""The catalog forgets the rows shown longest ago, never the fingerprint statuses heard."""

from __future__ import annotations

from typing import Any

from auralis_tui.app.catalog import Catalog


def _track(track_id: int, status: str = "pending") -> dict[str, Any]:
    return {"id": track_id, "title": f"t{track_id}", "fingerprint_status": status}


def test_rows_beyond_the_capacity_go_least_recently_used_first() -> None:
    catalog = Catalog(capacity=3)
    catalog.remember([_track(1), _track(2), _track(3)])
    assert catalog.track(1) is not None  # shown again: now the most recent
    catalog.remember([_track(4)])
    assert len(catalog) == 3
    assert [catalog.track(i) is not None for i in (1, 2, 3, 4)] == [True, False, True, True]


def test_a_status_heard_from_the_server_outlives_the_row_and_beats_a_listing() -> None:
    catalog = Catalog(capacity=1)
    catalog.remember([_track(1)])
    catalog.set_fingerprint(1, "complete")
    catalog.remember([_track(2)])  # row 1 is forgotten
    assert catalog.track(1) is None and catalog.fingerprint(1) == "complete"
    catalog.remember([_track(1, "pending")])  # listed again from an older answer
    assert catalog.fingerprint(1) == "complete"
