from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import wire
from shared.wire import (
    FrameReader,
    SampleFormat,
    WireError,
    decode_frame,
    encode_frame,
    iter_frames,
)

WIRE_MD = Path(wire.__file__).with_name("WIRE.md")


def _grid_samples(frames: int, channels: int, bits: int, seed: int = 0) -> np.ndarray:
    """Samples on the integer grid of ``bits`` PCM, as libsndfile decodes such files."""
    rng = np.random.default_rng(seed)
    ints = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(frames, channels))
    return (ints / 2.0 ** (bits - 1)).astype(np.float32)


@pytest.mark.parametrize(
    ("fmt", "bits"),
    [
        (SampleFormat.f32, 24),
        (SampleFormat.s16, 16),
        (SampleFormat.flac, 24),
        (SampleFormat.flac, 16),
    ],
)
def test_round_trip_is_bit_exact_for_pcm_sources(fmt: SampleFormat, bits: int) -> None:
    samples = _grid_samples(5000, 2, bits)
    data = encode_frame(
        samples,
        chunk_index=3,
        chunk_count=9,
        sample_rate_hz=48000,
        core_frames=4800,
        sample_format=fmt,
    )
    frame = decode_frame(data)
    assert frame.header.chunk_index == 3 and frame.header.chunk_count == 9
    assert frame.header.sample_rate_hz == 48000 and frame.header.channels == 2
    assert (frame.header.core_frames, frame.header.overlap_frames) == (4800, 200)
    np.testing.assert_array_equal(frame.samples, samples)
    np.testing.assert_array_equal(frame.tail, samples[4800:])


def test_s16_clamps_out_of_range_samples() -> None:
    samples = np.array([[1.5], [-1.5], [0.5]], dtype=np.float32)
    frame = decode_frame(
        encode_frame(
            samples,
            chunk_index=0,
            chunk_count=1,
            sample_rate_hz=8000,
            core_frames=3,
            sample_format=SampleFormat.s16,
        )
    )
    np.testing.assert_array_equal(frame.samples[:, 0], [32767 / 32768, -1.0, 0.5])


def test_header_matches_the_table_in_wire_md() -> None:
    """The documented offsets and sizes are the ones the encoder writes."""
    rows = re.findall(r"^\| (\d+) \| (\d+) \| (\w+) \| (\w+) \|", WIRE_MD.read_text(), re.MULTILINE)
    fields = {name: (int(offset), int(size)) for offset, size, _type, name in rows}
    data = encode_frame(
        _grid_samples(10, 3, 16),
        chunk_index=7,
        chunk_count=11,
        sample_rate_hz=96000,
        core_frames=8,
        sample_format=SampleFormat.s16,
    )
    sizes = {1: "B", 2: "H", 4: "I", 8: "Q"}
    expected = {
        "version": 1,
        "header_size": 48,
        "chunk_index": 7,
        "chunk_count": 11,
        "sample_rate": 96000,
        "channels": 3,
        "sample_format": 2,
        "flags": 0,
        "core_frames": 8,
        "overlap_frames": 2,
        "payload_length": 60,
        "reserved": 0,
    }
    for name, value in expected.items():
        offset, size = fields[name]
        assert struct.unpack_from("<" + sizes[size], data, offset)[0] == value, name
    assert data[fields["magic"][0] : 4] == b"AUCH"
    assert len(data) == 48 + 60


def test_corrupted_payload_is_detected() -> None:
    data = bytearray(
        encode_frame(
            _grid_samples(100, 2, 16),
            chunk_index=0,
            chunk_count=1,
            sample_rate_hz=44100,
            core_frames=100,
        )
    )
    data[100] ^= 0x01
    with pytest.raises(WireError, match="CRC32"):
        decode_frame(bytes(data))


@pytest.mark.parametrize("cut", [0, 10, 47, 48, 200])
def test_truncated_frames_are_rejected(cut: int) -> None:
    data = encode_frame(
        _grid_samples(100, 2, 16),
        chunk_index=0,
        chunk_count=1,
        sample_rate_hz=44100,
        core_frames=100,
    )
    with pytest.raises(WireError):
        decode_frame(data[:cut])
    with pytest.raises(WireError):
        list(iter_frames([data[:cut]] if cut else [data[:1]]))


def test_bad_magic_and_version_are_rejected() -> None:
    data = encode_frame(
        _grid_samples(4, 1, 16), chunk_index=0, chunk_count=1, sample_rate_hz=8000, core_frames=4
    )
    with pytest.raises(WireError, match="magic"):
        decode_frame(b"XXXX" + data[4:])
    with pytest.raises(WireError, match="version"):
        decode_frame(data[:4] + struct.pack("<H", 2) + data[6:])


@settings(max_examples=50, deadline=None)
@given(cuts=st.lists(st.integers(1, 3000), max_size=12), fmt=st.sampled_from(list(SampleFormat)))
def test_reader_reassembles_frames_split_anywhere(cuts: list[int], fmt: SampleFormat) -> None:
    frames = [_grid_samples(300 + 7 * i, 2, 16, seed=i) for i in range(3)]
    stream = b"".join(
        encode_frame(
            f,
            chunk_index=i,
            chunk_count=3,
            sample_rate_hz=22050,
            core_frames=280,
            sample_format=fmt,
        )
        for i, f in enumerate(frames)
    )
    pieces, position = [], 0
    for cut in sorted(set(cuts)):
        if cut < len(stream):
            pieces.append(stream[position:cut])
            position = cut
    pieces.append(stream[position:])
    reader = FrameReader()
    decoded = [frame for piece in pieces for frame in reader.feed(piece)]
    assert reader.pending_bytes == 0
    assert [f.header.chunk_index for f in decoded] == [0, 1, 2]
    for got, want in zip(decoded, frames, strict=True):
        np.testing.assert_array_equal(got.samples, want)


def test_unknown_format_name_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="f32, s16, flac"):
        SampleFormat.from_name("mp3")
