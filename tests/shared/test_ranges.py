from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ranges import (
    HUGE,
    ChunkRange,
    RangeNotSatisfiable,
    is_chunk_range,
    parse_chunk_range,
    parse_content_range,
    parse_decimal,
)


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


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("007", 7), ("9" * 18, 10**18 - 1), ("1" * 5000, HUGE), ("0" * 5000 + "5", 5)],
)
def test_decimals_saturate_instead_of_hitting_the_int_digit_limit(text: str, value: int) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["", "-1", "+1", " 1", "1 ", "1\n", "\u0661", "\uff11", "1_0"])
def test_decimals_are_ascii_digits_only(text: str) -> None:
    assert parse_decimal(text) is None


@given(st.integers(0, 10**40))
def test_decimals_round_trip_below_the_saturation_point(value: int) -> None:
    assert parse_decimal(str(value)) == (value if value < HUGE else HUGE)


@pytest.mark.parametrize(
    "spec",
    ["chunks=\u0660-\u0661", "chunks=0-1\n", "chunks=\uff10-", "chunks=0-1\x0b", "chun\u212as=0-1"],
)
def test_only_ascii_digits_and_blanks_make_a_range(spec: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_chunk_range(spec, 10)


def test_numbers_of_any_length_compare_as_numbers() -> None:
    huge = "9" * 5000
    assert parse_chunk_range(f"chunks=0-{huge}", 4) == ChunkRange(0, 3, 4)
    assert parse_chunk_range(f"chunks=-{huge}", 4) == ChunkRange(0, 3, 4)
    with pytest.raises(RangeNotSatisfiable, match="starts past the last chunk"):
        parse_chunk_range(f"chunks={huge}-", 4)


def test_an_error_quotes_only_the_start_of_a_long_spec() -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_chunk_range("chunks=" + "x" * 60_000, 4)
    assert len(str(caught.value)) < 120


@pytest.mark.parametrize(
    ("header", "chunky"),
    [
        ("chunks=1-2", True),
        (" CHUNKS =1-", True),
        ("chunks", True),
        ("bytes=0-1", False),
        ("0-1", False),
        ("chun\u212as=1-2", False),
        ("", False),
    ],
)
def test_is_chunk_range_tells_the_unit(header: str, chunky: bool) -> None:
    assert is_chunk_range(header) is chunky
