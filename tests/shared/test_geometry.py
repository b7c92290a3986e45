from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.geometry import ChunkGeometry

rates = st.sampled_from(
    [8000, 11025, 22050, 32000, 44100, 48000, 88200, 96000, 192000]
) | st.integers(1000, 400_000)


@settings(deadline=None)
@given(total=st.integers(0, 20_000_000), rate=rates, chunk_s=st.floats(0.5, 30.0))
def test_cores_tile_the_track_without_gap_or_overlap(total: int, rate: int, chunk_s: float) -> None:
    geometry = ChunkGeometry.for_track(total, rate, chunk_s)
    position = 0
    for index in range(geometry.chunk_count):
        start, stop = geometry.core_bounds(index)
        assert start == position
        assert stop > start
        position = stop
    assert position == total
    assert geometry.chunk_count == (0 if total == 0 else (total - 1) // geometry.chunk_frames + 1)


@given(total=st.integers(1, 40_000_000), rate=rates)
def test_tails_repeat_the_next_chunks_head_and_the_last_has_none(total: int, rate: int) -> None:
    geometry = ChunkGeometry.for_track(total, rate)
    last = geometry.chunk_count - 1
    assert geometry.tail_frames(last) == 0
    assert geometry.core_bounds(last)[1] == total
    for index in range(max(0, last - 3), last):  # the interesting ones are near the end
        _, stop = geometry.span(index)
        next_start, next_stop = geometry.core_bounds(index + 1)
        assert geometry.span(index)[0] == geometry.core_bounds(index)[0]
        assert next_start <= stop <= next_start + geometry.overlap_frames
        assert stop - next_start == min(geometry.overlap_frames, next_stop - next_start)
    assert all(geometry.core_frames(i) == geometry.chunk_frames for i in range(last))


def test_ten_second_chunks_at_44100() -> None:
    geometry = ChunkGeometry.for_track(44100 * 25, 44100)
    assert geometry.chunk_frames == 441_000
    assert geometry.overlap_frames == 4410
    assert geometry.chunk_count == 3
    assert geometry.span(0) == (0, 445_410)
    assert geometry.span(2) == (882_000, 1_102_500)
    assert geometry.chunk_at_frame(441_000) == 1


def test_low_rates_may_have_no_overlap() -> None:
    geometry = ChunkGeometry.for_track(11, 1)
    assert geometry.overlap_frames == 0
    assert geometry.span(0) == geometry.core_bounds(0) == (0, 10)


def test_next_chunk_shorter_than_overlap_gives_short_tail() -> None:
    geometry = ChunkGeometry.for_track(441_000 + 100, 44100)
    assert geometry.chunk_count == 2
    assert geometry.tail_frames(0) == 100


def test_out_of_range_index_is_an_error() -> None:
    geometry = ChunkGeometry.for_track(1000, 44100)
    with pytest.raises(IndexError):
        geometry.core_bounds(1)
    with pytest.raises(IndexError):
        geometry.chunk_at_frame(1000)
