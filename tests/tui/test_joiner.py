from __future__ import annotations

import numpy as np

from auralis_tui.engine.joiner import ChunkJoiner, equal_gain, equal_power
from shared.geometry import ChunkGeometry
from shared.wire import decode_frame, encode_frame


def _frames(signal: np.ndarray, geometry: ChunkGeometry, gains: list[float]) -> list:
    """Frames as the server cuts them; chunk i 'rendered' with gain[i] (core and tail alike)."""
    frames = []
    for index in range(geometry.chunk_count):
        start, stop = geometry.span(index)
        samples = (signal[start:stop] * gains[index]).astype(np.float32)
        data = encode_frame(
            samples,
            chunk_index=index,
            chunk_count=geometry.chunk_count,
            sample_rate_hz=geometry.sample_rate_hz,
            core_frames=geometry.core_frames(index),
        )
        frames.append(decode_frame(data))
    return frames


def test_chunks_of_one_plan_join_into_the_signal_exactly() -> None:
    signal = np.random.default_rng(1).standard_normal((8000 * 27 + 123, 2)).astype(np.float32) * 0.1
    geometry = ChunkGeometry.for_track(len(signal), 8000)
    joiner = ChunkJoiner()
    joined = np.concatenate(
        [joiner.feed(f) for f in _frames(signal, geometry, [1.0] * geometry.chunk_count)]
    )
    assert np.abs(joined - signal).max() <= 1e-7


def test_a_plan_change_crossfades_over_the_overlap() -> None:
    t = np.arange(8000 * 25) / 8000
    signal = np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1).astype(np.float32) * 0.5
    geometry = ChunkGeometry.for_track(len(signal), 8000)
    frames = _frames(signal, geometry, [1.0, 0.5, 0.5])
    joiner = ChunkJoiner()
    joined = np.concatenate([joiner.feed(f) for f in frames])
    seam, overlap = geometry.chunk_frames, geometry.overlap_frames
    np.testing.assert_allclose(
        joined[seam : seam + overlap],
        equal_gain(frames[0].tail, frames[1].core[:overlap]),
        atol=1e-7,
    )
    gain = np.abs(joined[seam - 400 : seam + overlap + 400, 0]).reshape(-1, 40).max(axis=1)
    assert np.all(np.abs(np.diff(gain)) < 0.05)  # the level glides from 0.5 to 0.25, no step


def test_crossfade_laws() -> None:
    ones = np.ones((1000, 1), dtype=np.float32)
    np.testing.assert_allclose(equal_gain(ones, ones), ones, atol=1e-7)
    # correlated signals rise by 3 dB mid-fade under equal power (cos 45° + sin 45° = √2)
    assert abs(float(equal_power(ones, ones).max()) - np.sqrt(2)) < 1e-3
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((200_000, 1)).astype(np.float32) for _ in range(2))
    mixed = equal_power(a, b)
    assert abs(float((mixed**2).mean()) - 1.0) < 0.02  # unrelated signals keep their power
