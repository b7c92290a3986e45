"""The saved play state and play counts over the API: round trips, refusals, removed tracks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from starlette.testclient import TestClient

from auralis_server.library.scanner import Scanner
from shared.presets import PRESET_NAMES
from tests.server.conftest import Library

EMPTY = {
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


def _ids(client: TestClient) -> list[int]:
    return client.get("/api/tracks", params={"fields": "id", "sort": "path"}).json()["ids"]


def _state(client: TestClient, **changes: Any) -> dict[str, Any]:
    ids = _ids(client)
    state = {
        "queue": [ids[2], ids[0], ids[2], ids[1]],
        "index": 1,
        "position_s": 40.5,
        "shuffle": "albums",
        "repeat": "one",
        "preset": PRESET_NAMES[-1],
        "intensity": 0.25,
        "volume": 0.8,
    }
    return state | changes


def _stored(response_body: dict[str, Any]) -> dict[str, Any]:
    """The body without the server's timestamp, which must be present and ISO 8601 UTC."""
    body = dict(response_body)
    updated_at = body.pop("updated_at")
    assert dt.datetime.fromisoformat(updated_at).utcoffset() == dt.timedelta(0)
    return body


def test_a_library_never_written_has_the_empty_state(client: TestClient) -> None:
    assert client.get("/api/playstate").json() == EMPTY


def test_the_state_round_trips_and_a_write_replaces_it_whole(client: TestClient) -> None:
    first = _state(client)
    response = client.put("/api/playstate", json=first)
    assert response.status_code == 200 and _stored(response.json()) == first
    assert _stored(client.get("/api/playstate").json()) == first

    second = _state(client, queue=[], index=None, preset=None, intensity=None, volume=None)
    echoed = client.put("/api/playstate", json=second | {"updated_at": "anything"}).json()
    assert _stored(echoed) == _stored(client.get("/api/playstate").json()) == second


def _bad_states(ids: list[int]) -> list[tuple[str, object]]:
    return [
        ("queue", "1,2"),
        ("queue", [ids[0], "2"]),
        ("queue", [ids[0], True]),
        ("queue", [10**6]),
        ("queue", [-1]),
        ("queue", [2**64]),
        ("index", 4),
        ("index", -1),
        ("index", 1.0),
        ("index", True),
        ("position_s", -0.5),
        ("position_s", "3"),
        ("position_s", None),
        ("position_s", 10**400),
        ("shuffle", "on"),
        ("shuffle", None),
        ("repeat", "ONE"),
        ("preset", "loud"),
        ("intensity", 1.5),
        ("volume", -0.1),
        ("volume", False),
    ]


def test_every_bad_field_is_a_400_and_leaves_the_stored_state(client: TestClient) -> None:
    kept = _state(client)
    client.put("/api/playstate", json=kept)
    for field, value in _bad_states(_ids(client)):
        response = client.put("/api/playstate", json=_state(client, **{field: value}))
        assert response.status_code == 400, (field, value, response.text)
        assert response.json()["error"] == "bad_request" and field in response.json()["detail"]
    assert _stored(client.get("/api/playstate").json()) == kept


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"queue": [], "position_s": NaN}',
        b"\xff\xfe",
        b"[" * 100_000,
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(client: TestClient, body: bytes) -> None:
    response = client.put("/api/playstate", content=body)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_a_missing_or_unknown_field_is_named(client: TestClient) -> None:
    state = _state(client)
    del state["volume"]
    assert "volume" in client.put("/api/playstate", json=state).json()["detail"]
    typo = _state(client) | {"shufle": "off"}
    response = client.put("/api/playstate", json=typo)
    assert response.status_code == 400 and "shufle" in response.json()["detail"]


def test_removed_tracks_leave_the_queue_and_the_index_follows(
    client: TestClient, library: Library
) -> None:
    song, hi = library.track_id("song.wav"), library.track_id("hi.flac")
    mono = library.track_id("mono.wav")
    queue = [song, hi, mono, hi]
    client.put("/api/playstate", json=_state(client, queue=queue, index=2))
    (library.music / "hi.flac").unlink()
    assert Scanner([library.music], workers=1).run().removed == 1
    state = client.get("/api/playstate").json()
    kept = [track_id for track_id in queue if track_id != hi]
    assert state["queue"] == kept
    assert kept[state["index"]] == mono and state["position_s"] == 40.5

    client.put("/api/playstate", json=_state(client, queue=kept, index=1))
    (library.music / "mono.wav").unlink()  # the current track itself goes
    Scanner([library.music], workers=1).run()
    state = client.get("/api/playstate").json()
    assert (state["queue"], state["index"], state["position_s"]) == ([song], None, 0.0)


def test_plays_are_counted_and_listed_recent_or_most(client: TestClient) -> None:
    ids = _ids(client)
    played = [ids[0], ids[2], ids[0], ids[3], ids[0], ids[2]]
    for track_id in played:
        body = client.post(f"/api/tracks/{track_id}/plays").json()
        assert body["track_id"] == track_id and body["last_played"] is not None
    counts = Counter(played)
    for track_id in ids:
        track = client.get(f"/api/tracks/{track_id}").json()
        assert track["play_count"] == counts[track_id]
        assert (track["last_played"] is None) == (track_id not in counts)

    most = client.get("/api/plays", params={"order": "most"}).json()["tracks"]
    assert {t["id"]: t["play_count"] for t in most} == counts
    assert [t["play_count"] for t in most] == sorted(counts.values(), reverse=True)
    recent = client.get("/api/plays").json()["tracks"]
    assert {t["id"] for t in recent} == set(counts)
    stamps = [t["last_played"] for t in recent]
    assert stamps == sorted(stamps, reverse=True)
    assert len(client.get("/api/plays", params={"limit": 2}).json()["tracks"]) == 2


@pytest.mark.parametrize("track_id", ["999999", "9" * 30])
def test_a_play_of_an_unknown_track_is_a_404(client: TestClient, track_id: str) -> None:
    response = client.post(f"/api/tracks/{track_id}/plays")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "params", [{"order": "loudest"}, {"limit": "0"}, {"limit": "501"}, {"limit": "x"}]
)
def test_bad_plays_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/api/plays", params=params)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"
