"""Invariants of the whole fingerprint on arbitrary input: finite, in range, deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from auralis_server.fingerprint.dsp.analysis import (
    FingerprintError,
    compute_fingerprint,
    excerpt_spans,
)
from shared.dimensions import DIMENSION_NAMES, DIMENSIONS

BAND_NAMES = DIMENSION_NAMES[:7]
_RANGES = {d.name: (d.low, d.high) for d in DIMENSIONS}


def _check(values: dict[str, float]) -> None:
    assert list(values) == list(DIMENSION_NAMES)
    for name, value in values.items():
        assert np.isfinite(value), name
        low, high = _RANGES[name]
        if name not in ("lufs", "crest_db"):
            assert low - 1e-9 <= value <= high + 1e-9, (name, value)
    assert values["lufs"] >= -70.0
    band_sum = sum(values[name] for name in BAND_NAMES)
    assert band_sum == pytest.approx(1.0, abs=1e-6) or band_sum == 0.0


samples = st.one_of(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 30_000), st.integers(1, 2)),
        elements=st.floats(-1.0, 1.0, allow_nan=False, width=32),
    ),
    st.builds(
        lambda n, c, v: np.full((n, c), v),
        st.integers(1, 30_000),
        st.integers(1, 2),
        st.sampled_from([0.0, 1.0, -1.0, 1e-12, 0.5]),
    ),
)


@settings(max_examples=60, deadline=None)
@given(audio=samples, rate_hz=st.sampled_from([8000, 22050, 44100, 48000, 96000]))
def test_any_signal_gives_finite_values_in_range(audio: np.ndarray, rate_hz: int) -> None:
    _check(compute_fingerprint(audio, rate_hz))


def test_loud_clipped_noise_and_dc_are_finite() -> None:
    rng = np.random.default_rng(3)
    clipped = np.clip(rng.standard_normal((44100 * 5, 2)) * 4, -1, 1)
    _check(compute_fingerprint(clipped, 44100))
    _check(compute_fingerprint(np.full((44100 * 3, 2), 0.25), 44100))


def test_same_input_same_output() -> None:
    audio = np.random.default_rng(4).standard_normal((44100 * 4, 2)) * 0.1
    assert compute_fingerprint(audio, 44100) == compute_fingerprint(audio.copy(), 44100)


def test_empty_input_is_an_error() -> None:
    with pytest.raises(FingerprintError):
        compute_fingerprint(np.zeros((0, 2)), 44100)


def test_long_tracks_use_three_excerpts_of_twenty_seconds() -> None:
    assert excerpt_spans(60 * 22050, 22050) == [(0, 60 * 22050)]
    spans = excerpt_spans(300 * 22050, 22050)
    assert len(spans) == 3 and all(stop - start == 20 * 22050 for start, stop in spans)
    assert spans[0][0] > 0 and spans[-1][1] < 300 * 22050
