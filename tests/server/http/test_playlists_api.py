"""Saved playlists over the API: round trips, refusals, removed tracks and the M3U8 export."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from starlette.testclient import TestClient

from auralis_server.library.scanner import Scanner
from tests.server.conftest import Library


def _tracks(client: TestClient) -> list[dict[str, Any]]:
    return client.get("/api/tracks", params={"sort": "path", "limit": 1000}).json()["tracks"]


def _create(client: TestClient, name: str, track_ids: list[int]) -> dict[str, Any]:
    response = client.post("/api/playlists", json={"name": name, "track_ids": track_ids})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_playlist_round_trips_in_order_with_repeats(client: TestClient) -> None:
    tracks = {t["id"]: t for t in _tracks(client)}
    order = [*tracks][::-1] + [next(iter(tracks))]
    created = _create(client, "Late night", order)
    assert created["name"] == "Late night" and created["track_ids"] == order
    assert [t["id"] for t in created["tracks"]] == order
    assert created["tracks"][0] == tracks[order[0]]  # the same track JSON as /api/tracks
    assert client.get(f"/api/playlists/{created['id']}").json() == created

    (summary,) = client.get("/api/playlists").json()["playlists"]
    durations = [tracks[i]["duration_seconds"] or 0.0 for i in order]
    assert summary["id"] == created["id"] and summary["track_count"] == len(order)
    assert summary["duration_s"] == pytest.approx(sum(durations))

    renamed = client.put(f"/api/playlists/{created['id']}", json={"name": "Early"}).json()
    assert (renamed["name"], renamed["track_ids"]) == ("Early", order)
    shorter = client.put(f"/api/playlists/{created['id']}", json={"track_ids": order[:2]}).json()
    assert (shorter["name"], shorter["track_ids"]) == ("Early", order[:2])
    assert client.get(f"/api/playlists/{created['id']}").json() == shorter

    assert client.delete(f"/api/playlists/{created['id']}").status_code == 204
    assert client.get(f"/api/playlists/{created['id']}").status_code == 404
    assert client.get("/api/playlists").json() == {"playlists": []}


def test_playlists_are_listed_by_name_and_an_empty_one_is_allowed(client: TestClient) -> None:
    ids = [t["id"] for t in _tracks(client)]
    names = ["b side", "A side", "Ça va", "empty"]
    for name in names:
        _create(client, name, [] if name == "empty" else ids[:2])
    listed = client.get("/api/playlists").json()["playlists"]
    assert [p["name"] for p in listed] == sorted(names, key=lambda n: (n.lower(), n))
    assert {p["name"]: p["track_count"] for p in listed}["empty"] == 0


def test_a_taken_name_is_a_409(client: TestClient) -> None:
    ids = [t["id"] for t in _tracks(client)]
    first, second = _create(client, "one", ids[:1]), _create(client, "two", ids[1:2])
    response = client.post("/api/playlists", json={"name": " one ", "track_ids": []})
    assert response.status_code == 409 and response.json()["error"] == "conflict"
    response = client.put(f"/api/playlists/{second['id']}", json={"name": "one"})
    assert response.status_code == 409
    assert client.put(f"/api/playlists/{first['id']}", json={"name": "one"}).status_code == 200
    assert client.get(f"/api/playlists/{second['id']}").json()["name"] == "two"


def _bad_bodies(track_id: int) -> list[object]:
    return [
        {"name": "x"},
        {"track_ids": [track_id]},
        {"name": "x", "track_ids": [track_id], "extra": 1},
        {"name": "", "track_ids": []},
        {"name": "   ", "track_ids": []},
        {"name": "a\nb", "track_ids": []},
        {"name": "x" * 201, "track_ids": []},
        {"name": 5, "track_ids": []},
        {"name": None, "track_ids": []},
        {"name": "x", "track_ids": "1,2"},
        {"name": "x", "track_ids": [str(track_id)]},
        {"name": "x", "track_ids": [track_id, 1.5]},
        {"name": "x", "track_ids": [track_id, 10**6]},
        {"name": "x", "track_ids": [2**70]},
        ["x", [track_id]],
    ]


def test_bad_bodies_are_400_and_create_nothing(client: TestClient) -> None:
    track_id = _tracks(client)[0]["id"]
    for body in _bad_bodies(track_id):
        response = client.post("/api/playlists", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"] == "bad_request"
    for raw in (b"", b"{", b"\xff", b'{"name": "x", "track_ids": [Infinity]}'):
        assert client.post("/api/playlists", content=raw).status_code == 400
    assert client.get("/api/playlists").json() == {"playlists": []}


def test_a_bad_update_is_a_400_and_changes_nothing(client: TestClient) -> None:
    ids = [t["id"] for t in _tracks(client)]
    kept = _create(client, "kept", ids[:3])
    for body in ({}, {"name": ""}, {"track_ids": [10**6]}, {"name": "y", "track_ids": None}):
        response = client.put(f"/api/playlists/{kept['id']}", json=body)
        assert response.status_code == 400, (body, response.text)
    assert client.get(f"/api/playlists/{kept['id']}").json() == kept


@pytest.mark.parametrize("playlist_id", ["424242", "9" * 5000, "-1", "1.0", "x"])
def test_an_unknown_playlist_is_a_404_for_every_method(
    client: TestClient, playlist_id: str
) -> None:
    url = f"/api/playlists/{playlist_id}"
    for response in (
        client.get(url),
        client.put(url, json={"name": "x"}),
        client.delete(url),
        client.get(f"{url}/export.m3u8"),
    ):
        assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_a_track_removed_by_a_scan_leaves_its_playlists(
    client: TestClient, library: Library
) -> None:
    song, hi, mono = (library.track_id(n) for n in ("song.wav", "hi.flac", "mono.wav"))
    playlist = _create(client, "three", [hi, song, hi, mono])
    (library.music / "hi.flac").unlink()
    Scanner([library.music], workers=1).run()
    shown = client.get(f"/api/playlists/{playlist['id']}").json()
    assert shown["track_ids"] == [song, mono]
    (summary,) = client.get("/api/playlists").json()["playlists"]
    assert summary["track_count"] == 2
    edited = client.put(f"/api/playlists/{playlist['id']}", json={"track_ids": [mono, song]})
    assert edited.json()["track_ids"] == [mono, song]


def test_the_m3u8_export_names_files_relative_to_the_music_folder(
    client: TestClient, library: Library
) -> None:
    tracks = {t["id"]: t for t in _tracks(client)}
    order = [library.track_id(n) for n in ("mono.wav", "song.wav", "mono.wav")]
    playlist = _create(client, "Día/1", order)
    response = client.get(f"/api/playlists/{playlist['id']}/export.m3u8")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/x-mpegurl; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.isascii()
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Día/1.m3u8"

    lines = response.content.decode("utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    expected: list[str] = []
    for track_id in order:
        track = tracks[track_id]
        seconds = round(track["duration_seconds"])
        shown = track["title"] or Path(track["path"]).stem
        relative = Path(track["path"]).relative_to(library.music).as_posix()
        expected += [f"#EXTINF:{seconds},{shown}", relative]
    assert lines[1:] == expected
