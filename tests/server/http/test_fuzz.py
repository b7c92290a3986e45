"""Hypothesis against a real uvicorn: whatever the ids, ranges, names and query values, the
answer is never a 5xx and the kept-alive connection survives it (SPEC §7: never a 500 for
bad input). One server for the module; each group is bounded so the file runs in seconds.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import quote, quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.presets import PRESET_NAMES
from tests.server.conftest import ServedLibrary
from tests.server.http import keepalive

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# httpx cannot send lone surrogates; everything else, NUL included, goes.
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
numbers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.text("0123456789", min_size=1, max_size=25),
    # around Python's 4300-digit int() limit
    st.integers(4200, 5000).map(lambda n: "1" * n),
    st.sampled_from([4300, 4301, 5000]).map(lambda n: "9" * n),
    st.sampled_from(["٠", "١٢", "０", "1\n", " 1", "1_0", "+1", "0x1", "1e3", "nan", "inf"]),
)
values = st.one_of(numbers, texts)
# A path segment or query value as raw percent-encoded bytes, UTF-8 or not.
raw = st.one_of(
    values.map(lambda text: quote(text, safe="")), st.binary(max_size=20).map(quote_from_bytes)
)
methods = st.sampled_from(["GET", "HEAD"])
bounds = st.builds(
    lambda a, dash, b: f"{a}{dash}{b}",
    st.one_of(st.just(""), numbers),
    st.sampled_from(["-", "-", "-", "-", "", "--", ","]),
    st.one_of(st.just(""), numbers),
)
range_like = st.builds(
    str.__add__, st.sampled_from(["chunks=", " CHUNKS = ", "chunks", "bytes=", "items="]), bounds
)


def _sendable(value: bytes) -> bool:
    """What h11 lets a client put in a header: no control bytes, no blank at either end."""
    return all(byte >= 0x20 and byte != 0x7F or byte == 0x09 for byte in value) and (
        value == value.strip(b" \t")
    )


# Range headers: range-like text or any bytes h11 will send (obs-text, UTF-8 digits included).
header_values = st.one_of(range_like.map(str.encode), st.binary(max_size=40)).filter(_sendable)


@pytest.fixture
def http(served_library: ServedLibrary) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served_library.url, timeout=30) as client:
        yield client


def check(http: httpx.Client, served: ServedLibrary, method: str, url: str, **kw: object) -> None:
    response = keepalive.send_then_probe(http, f"/api/tracks/{served.track_id}", method, url, **kw)
    assert response.status_code < 500, (url, kw, response.status_code, response.text[:300])


def _id_or(served: ServedLibrary, segment: str | None) -> str:
    return str(served.track_id) if segment is None else segment


@FUZZ
@given(
    method=methods,
    track=st.one_of(st.none(), raw),
    resource=st.sampled_from(["", "/fingerprint", "/plan", "/stream", "/chunks/0.wav"]),
)
def test_any_track_id(
    http: httpx.Client, served_library: ServedLibrary, method: str, track: str | None, resource: str
) -> None:
    check(http, served_library, method, f"/api/tracks/{_id_or(served_library, track)}{resource}")


@FUZZ
@given(
    method=methods,
    name=st.one_of(
        raw,
        st.builds(
            lambda n, ext: quote(n + ext, safe=""), numbers, st.sampled_from([".wav", ".flac"])
        ),
    ),
    params=st.dictionaries(st.sampled_from(["tail", "preset", "intensity", "format"]), values),
)
def test_any_chunk_file_name_and_parameters(
    http: httpx.Client,
    served_library: ServedLibrary,
    method: str,
    name: str,
    params: dict[str, str],
) -> None:
    url = f"/api/tracks/{served_library.track_id}/chunks/{name}"
    check(http, served_library, method, url, params=params)


@FUZZ
@given(
    method=methods,
    chunks=st.one_of(st.none(), bounds, range_like, values),
    header=st.one_of(st.none(), header_values),
)
def test_any_stream_range(
    http: httpx.Client,
    served_library: ServedLibrary,
    method: str,
    chunks: str | None,
    header: bytes | None,
) -> None:
    params = {"chunks": chunks} if chunks is not None else {}
    headers = {"Range": header} if header is not None else {}
    url = f"/api/tracks/{served_library.track_id}/stream"
    check(http, served_library, method, url, params=params, headers=headers)


@FUZZ
@given(
    method=methods,
    params=st.fixed_dictionaries(
        {},
        optional={
            "format": st.one_of(st.sampled_from(["f32", "s16", "flac"]), texts),
            "preset": st.one_of(st.sampled_from(PRESET_NAMES), texts),
            "intensity": st.one_of(values, st.floats().map(str)),
        },
    ),
)
def test_any_stream_parameters(
    http: httpx.Client, served_library: ServedLibrary, method: str, params: dict[str, str]
) -> None:
    url = f"/api/tracks/{served_library.track_id}/stream"
    check(http, served_library, method, url, params={"chunks": "0-0", **params})


# ``after`` cursors as a client could forge them: right shape with wrong types, huge numbers.
CURSORS = [
    base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    for value in (
        ["artist", None, None, None, None, None, 1],
        ["artist", 1, 2.5, "x", [], {}, True],
        ["-year", 1999, None, None, None, 10**30],
        ["title", "\u0000", 1],
        ["added", "not a date", 1],
        ["duration", 1e308, -1],
    )
]


@FUZZ
@given(
    resource=st.sampled_from(["/api/tracks", "/api/albums", "/api/artists"]),
    params=st.dictionaries(
        st.sampled_from(
            ["q", "artist", "album", "sort", "limit", "offset", "missing", "after", "ids", "fields"]
        ),
        st.one_of(
            values,
            st.sampled_from(["-artist", "year", "artist,album", "title", "id", "1,2,-3"]),
            st.sampled_from(CURSORS),
        ),
    ),
    raw_query=st.one_of(st.just(""), st.lists(raw, max_size=4).map("&".join)),
)
def test_any_library_query(
    http: httpx.Client,
    served_library: ServedLibrary,
    resource: str,
    params: dict[str, str],
    raw_query: str,
) -> None:
    url = f"{resource}?{raw_query}" if raw_query else resource
    check(http, served_library, "GET", url, params=params)


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    segments=st.lists(
        st.one_of(st.sampled_from(["tracks", "1", "fingerprints", "library", "scan"]), raw),
        min_size=1,
        max_size=4,
    ).filter(lambda segments: segments[0] != ""),  # httpx refuses a path starting with //
)
def test_any_path_and_method(
    http: httpx.Client, served_library: ServedLibrary, method: str, segments: list[str]
) -> None:
    # POST is left out: it starts scans and (with workers off) answers 503 by design.
    check(http, served_library, method, "/api/" + "/".join(segments))
