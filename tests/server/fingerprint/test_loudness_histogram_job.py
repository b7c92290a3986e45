"""The background job's Python path stores each track's block-loudness histogram and true
peak with its fingerprint, so album loudness and ReplayGain peaks need no second reading."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import soundfile

from auralis_server.audio.loudness import (
    histogram_loudness,
    integrated_loudness,
    unpack_histogram,
)
from auralis_server.library.models import Fingerprint, Track
from auralis_server.mastering.true_peak import true_peak_envelope
from tests.server.fingerprint.test_scheduler import make_queue, music  # noqa: F401  (fixtures)


def test_the_python_job_stores_the_histogram_of_the_track(
    music: Path,  # noqa: F811
    make_queue: Callable[..., Any],  # noqa: F811
) -> None:
    queue, recorder = make_queue(workers=2)
    queue.start()
    paths = sorted(music.glob("*.flac"))
    recorder.wait_for(len(paths))
    for path in paths:
        row = Fingerprint.get(Fingerprint.track == Track.get(Track.path == str(path)).id)
        counts = unpack_histogram(bytes(row.loudness_histogram))
        assert counts is not None
        samples, rate = soundfile.read(path, always_2d=True)
        assert histogram_loudness(counts) == pytest.approx(
            integrated_loudness(samples, rate), abs=0.05
        )
        # the oversampled peak of every frame, without the job's shortcut (``floor``)
        assert row.true_peak == pytest.approx(float(true_peak_envelope(samples).max()), rel=1e-6)
