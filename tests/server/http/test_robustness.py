"""Hostile requests against a real uvicorn: the right 4xx, and the connection kept.

A 500 makes Starlette re-raise after answering, and uvicorn then drops the connection, so
each bad request here is followed by a good one on the same kept-alive connection.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from shared.wire import iter_frames
from tests.server.conftest import ServedLibrary
from tests.server.http import keepalive

HUGE_DIGITS = "1" * 5000  # past Python's 4300-digit int() limit
PAST_64_BITS = str(2**63)


@pytest.fixture
def http(served_library: ServedLibrary) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served_library.url, timeout=30) as client:
        yield client


def send_then_probe(
    http: httpx.Client, served: ServedLibrary, url: str, **kwargs: object
) -> httpx.Response:
    return keepalive.send_then_probe(http, f"/api/tracks/{served.track_id}", "GET", url, **kwargs)


def get_stream(http: httpx.Client, served: ServedLibrary, **kwargs: object) -> httpx.Response:
    return send_then_probe(http, served, f"/api/tracks/{served.track_id}/stream", **kwargs)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/api/tracks/{PAST_64_BITS}", 404),
        (f"/api/tracks/{HUGE_DIGITS}", 404),
        (f"/api/tracks/{PAST_64_BITS}/fingerprint", 404),
        (f"/api/tracks/{PAST_64_BITS}/plan", 404),
        (f"/api/tracks/{PAST_64_BITS}/stream", 404),
        (f"/api/tracks/{HUGE_DIGITS}/stream", 404),
        ("/api/tracks/{id}/chunks/" + HUGE_DIGITS + ".wav", 404),
        ("/api/tracks/{id}/chunks/" + PAST_64_BITS + ".flac", 404),
        ("/api/tracks/{id}/stream?chunks=" + HUGE_DIGITS + "-", 416),
        ("/api/tracks/{id}/stream?chunks=" + HUGE_DIGITS + "-" + HUGE_DIGITS, 416),
        ("/api/tracks?offset=" + HUGE_DIGITS, 400),
        ("/api/tracks?limit=" + HUGE_DIGITS, 400),
        ("/api/tracks?limit=-" + HUGE_DIGITS, 400),
    ],
)
def test_numbers_past_64_bits_are_client_errors_on_a_kept_connection(
    http: httpx.Client, served_library: ServedLibrary, path: str, status: int
) -> None:
    url = path.replace("{id}", str(served_library.track_id))
    response = send_then_probe(http, served_library, url)
    assert response.status_code == status
    assert len(response.json()["detail"]) <= 300


@pytest.mark.parametrize(
    ("chunks", "first", "last"),
    [("0-" + HUGE_DIGITS, 0, 2), ("-" + HUGE_DIGITS, 0, 2), ("000000000002-" + HUGE_DIGITS, 2, 2)],
)
def test_huge_range_bounds_clamp_like_any_other_end(
    http: httpx.Client, served_library: ServedLibrary, chunks: str, first: int, last: int
) -> None:
    response = get_stream(http, served_library, params={"chunks": chunks})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"chunks {first}-{last}/3"
    frames = list(iter_frames([response.content]))
    assert [frame.header.chunk_index for frame in frames] == list(range(first, last + 1))


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "song\x00"},
        {"artist": "a\x00b"},
        {"album": "\x00"},
    ],
)
def test_nul_in_a_text_filter_is_a_bad_request(
    http: httpx.Client, served_library: ServedLibrary, params: dict[str, str]
) -> None:
    # On SQLite a NUL cut the LIKE pattern short and matched every track; PostgreSQL 500'd.
    response = send_then_probe(http, served_library, "/api/tracks", params=params)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_nul_in_the_albums_artist_is_a_bad_request(
    http: httpx.Client, served_library: ServedLibrary
) -> None:
    response = send_then_probe(http, served_library, "/api/albums", params={"artist": "\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "name", ["0.wav%0A", "0.wav%0a", "%D9%A0.wav", "%EF%BC%90.flac", "0.wav%00", " 0.wav", "+0.wav"]
)
def test_chunk_file_names_are_ascii_digits_and_nothing_else(
    http: httpx.Client, served_library: ServedLibrary, name: str
) -> None:
    url = f"/api/tracks/{served_library.track_id}/chunks/{name}"
    assert send_then_probe(http, served_library, url).status_code == 404


@pytest.mark.parametrize("chunks", ["\u0660-\u0660", "0-\u0661", "0-1\n", "\uff10-"])
def test_chunk_ranges_are_ascii_digits_and_nothing_else(
    http: httpx.Client, served_library: ServedLibrary, chunks: str
) -> None:
    response = get_stream(http, served_library, params={"chunks": chunks})
    assert response.status_code == 416
    assert response.headers["content-range"] == "chunks */3"


@pytest.mark.parametrize("header", ["bytes=0-10", "Bytes=0-", "items=1-2", "0-1", "bytes"])
def test_a_range_in_another_unit_is_ignored(
    http: httpx.Client, served_library: ServedLibrary, header: str
) -> None:
    """RFC 9110 §14.2: an unknown range unit is ignored; the stream has no byte ranges."""
    response = get_stream(http, served_library, headers={"Range": header})
    assert response.status_code == 200
    assert "content-range" not in response.headers
    assert response.headers["accept-ranges"] == "chunks"
    assert [f.header.chunk_index for f in iter_frames([response.content])] == [0, 1, 2]


def test_the_range_unit_is_case_insensitive(
    http: httpx.Client, served_library: ServedLibrary
) -> None:
    response = get_stream(http, served_library, headers={"Range": "CHUNKS=1-1"})
    assert response.status_code == 206
    assert response.headers["content-range"] == "chunks 1-1/3"


@pytest.mark.parametrize("where", ["header", "query"])
def test_an_unsatisfiable_range_is_not_echoed_back_whole(
    http: httpx.Client, served_library: ServedLibrary, where: str
) -> None:
    spec = "chunks=" + "9" * 12_000
    if where == "header":
        response = get_stream(http, served_library, headers={"Range": spec + "x"})
    else:
        response = get_stream(http, served_library, params={"chunks": spec + "x"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "chunks */3"
    assert len(response.content) < 400
