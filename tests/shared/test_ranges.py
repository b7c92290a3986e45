from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ranges import RangeNotSatisfiable, parse_chunk_range, parse_content_range


@given(count=st.integers(0, 10_000), first=st.integers(0, 20_000), last=st.integers(0, 20_000))
def test_closed_range_matches_http_semantics(count: int, first: int, last: int) -> None:
    spec = f"chunks={first}-{last}"
    if last < first or first >= count:
        with pytest.raises(RangeNotSatisfiable):
            parse_chunk_range(spec, count)
        return
    result = parse_chunk_range(spec, count)
    assert (result.first, result.last, result.count) == (first, min(last, count - 1), count)
    assert list(result) == list(range(first, min(last, count - 1) + 1))
    assert parse_content_range(result.content_range()) == result


@given(count=st.integers(0, 10_000), first=st.integers(0, 20_000))
def test_open_range_runs_to_the_end(count: int, first: int) -> None:
    if first >= count:
        with pytest.raises(RangeNotSatisfiable):
            parse_chunk_range(f"chunks={first}-", count)
    else:
        result = parse_chunk_range(f"chunks={first}-", count)
        assert (result.first, result.last) == (first, count - 1)


@given(count=st.integers(0, 10_000), suffix=st.integers(0, 20_000))
def test_suffix_range_takes_the_last_chunks(count: int, suffix: int) -> None:
    if suffix == 0 or count == 0:
        with pytest.raises(RangeNotSatisfiable):
            parse_chunk_range(f"chunks=-{suffix}", count)
    else:
        result = parse_chunk_range(f"chunks=-{suffix}", count)
        assert len(result) == min(suffix, count)
        assert result.last == count - 1


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "chunks",
        "chunks=",
        "chunks=-",
        "bytes=0-1",
        "chunks=a-b",
        "chunks=1-2,4-5",
        "chunks=-1-2",
        "chunks=1.5-2",
        "chunks=0x1-2",
        "chunks=1--2",
        "chunk=1-2",
    ],
)
def test_malformed_ranges_are_unsatisfiable(spec: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_chunk_range(spec, 10)


@given(st.text(max_size=30))
def test_arbitrary_text_never_raises_anything_else(spec: str) -> None:
    try:
        result = parse_chunk_range(spec, 7)
    except RangeNotSatisfiable:
        return
    assert 0 <= result.first <= result.last < 7
