"""Listing a library bigger than one page: ids in one call, keyset and offset paging, and
search that folds case and accents beyond ASCII."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.queries import MAX_PAGE
from tests.server.library.big_library import insert_big_library

COUNT = MAX_PAGE + 437  # more than a full page
SPECIAL = [
    {"title": "Jóga", "artist": "Björk", "album": "Homogenic"},
    {"title": "Hoppípolla", "artist": "Sigur Rós", "album": "Ålbum"},
    {"title": "Fußball", "artist": "Die Ärzte", "album": "100% Rock_n_Roll"},
]


@pytest.fixture
def big(
    tmp_path: Path, settings_for: Callable[..., Settings], database_url: str | None
) -> Iterator[TestClient]:
    settings = settings_for(tmp_path / "music", database_url=database_url)
    open_database(settings.database_url, settings.sqlite_path)
    insert_big_library(COUNT, SPECIAL)
    with TestClient(create_app(settings)) as client:
        yield client
    close_database()


def _get(client: TestClient, **params: object) -> dict[str, Any]:
    response = client.get("/api/tracks", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _keyset_ids(client: TestClient, page_size: int, **params: object) -> list[int]:
    """Every id, following ``next`` from the first page to the last."""
    ids: list[int] = []
    body = _get(client, limit=page_size, **params)
    while True:
        assert body["total"] == COUNT + len(SPECIAL)
        ids += [track["id"] for track in body["tracks"]]
        if body["next"] is None:
            return ids
        body = _get(client, limit=page_size, after=body["next"], **params)


def test_every_id_of_a_library_bigger_than_a_page_comes_in_one_call(big: TestClient) -> None:
    body = _get(big, fields="id", limit=100_000)
    every = [track_id for (track_id,) in Track.select(Track.id).tuples()]
    assert body["total"] == len(body["ids"]) == COUNT + len(SPECIAL)
    assert sorted(body["ids"]) == sorted(every) and body["next"] is None
    assert "tracks" not in body


@pytest.mark.parametrize("sort", ["artist", "-artist", "-year", "-added", "duration"])
def test_keyset_and_offset_paging_list_every_track_once_in_sort_order(
    big: TestClient, sort: str
) -> None:
    in_order = _get(big, fields="id", limit=100_000, sort=sort)["ids"]
    assert _keyset_ids(big, 333, sort=sort) == in_order
    by_offset = [
        track["id"]
        for offset in range(0, len(in_order), MAX_PAGE)
        for track in _get(big, limit=MAX_PAGE, offset=offset, sort=sort)["tracks"]
    ]
    assert by_offset == in_order and len(set(in_order)) == COUNT + len(SPECIAL)


def test_untagged_tracks_sort_first_ascending_and_last_descending(big: TestClient) -> None:
    untagged = {t["id"] for t in _get(big, missing="artist", limit=MAX_PAGE)["tracks"]}
    ascending = _get(big, fields="id", limit=100_000, sort="artist")["ids"]
    descending = _get(big, fields="id", limit=100_000, sort="-artist")["ids"]
    assert len(untagged) > 10
    assert set(ascending[: len(untagged)]) == untagged
    assert set(descending[-len(untagged) :]) == untagged


def test_keyset_paging_neither_skips_nor_repeats_when_tracks_go_between_pages(
    big: TestClient,
) -> None:
    in_order = _get(big, fields="id", limit=100_000)["ids"]
    first = _get(big, limit=100)
    gone = in_order[:50]  # a scan removes tracks already listed
    Track.delete().where(Track.id.in_(gone)).execute()
    rest: list[int] = []
    body = _get(big, limit=500, after=first["next"])
    while True:
        rest += [track["id"] for track in body["tracks"]]
        if body["next"] is None:
            break
        body = _get(big, limit=500, after=body["next"])
    assert [t["id"] for t in first["tracks"]] + rest == in_order


def test_the_last_page_says_there_is_no_next_and_past_the_end_counts(big: TestClient) -> None:
    total = COUNT + len(SPECIAL)
    last = _get(big, limit=100, offset=total - 100)
    assert (len(last["tracks"]), last["total"], last["next"]) == (100, total, None)
    beyond = _get(big, limit=100, offset=total + 5)
    assert (beyond["tracks"], beyond["total"], beyond["next"]) == ([], total, None)
    assert _get(big, limit=100, offset=total - 101)["next"] is not None


def test_tracks_by_id_come_whole_whatever_the_order_asked(big: TestClient) -> None:
    wanted = _get(big, fields="id", limit=100_000)["ids"][-7:]
    body = _get(big, ids=",".join(map(str, reversed(wanted))), limit=MAX_PAGE)
    assert sorted(t["id"] for t in body["tracks"]) == sorted(wanted)
    assert all(t["title"] and t["geometry"] for t in body["tracks"])


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("BJÖRK", ["Jóga"]),
        ("bjork", ["Jóga"]),
        ("JOGA", ["Jóga"]),
        ("album", ["Hoppípolla"]),  # the album Ålbum
        ("ÅLBUM hoppipolla", ["Hoppípolla"]),
        ("sigur rós", ["Hoppípolla"]),
        ("FUSSBALL ärzte", ["Fußball"]),
        ("100%", ["Fußball"]),  # LIKE's wildcards are plain characters
        ("rock_n", ["Fußball"]),
        ("björk hoppipolla", []),  # every word must match
    ],
)
def test_search_folds_case_and_accents_beyond_ascii(
    big: TestClient, query: str, titles: list[str]
) -> None:
    found = _get(big, q=query, limit=MAX_PAGE)
    assert sorted(t["title"] for t in found["tracks"]) == titles
    assert found["total"] == len(titles)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"after": "not-a-cursor"}, "after must be the next cursor"),
        ({"after": "WyJ0aXRsZSIsIngiLDFd"}, "after must be the next cursor"),  # ["title","x",1]
        ({"fields": "title"}, "fields must be id"),
        ({"ids": "1,two"}, "ids must be track ids"),
        ({"ids": ",".join(["1"] * (MAX_PAGE + 1))}, f"at most {MAX_PAGE} tracks"),
        ({"fields": "id", "limit": "100001"}, "limit must be between 1 and 100000"),
    ],
)
def test_bad_paging_parameters_are_one_line_400s(
    big: TestClient, params: dict[str, str], detail: str
) -> None:
    response = big.get("/api/tracks", params=params)
    assert response.status_code == 400
    assert detail in response.json()["detail"] and "\n" not in response.json()["detail"]


def test_a_cursor_of_another_sort_is_refused(big: TestClient) -> None:
    cursor = _get(big, limit=10, sort="title")["next"]
    response = big.get("/api/tracks", params={"after": cursor, "sort": "artist"})
    assert response.status_code == 400
    assert big.get("/api/tracks", params={"after": cursor, "sort": "title"}).status_code == 200
