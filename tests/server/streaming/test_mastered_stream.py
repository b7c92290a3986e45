"""Mastered audio through the HTTP API: stream equals the whole-track render; plans agree."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx
import numpy as np
import pytest

from auralis_server.audio.source import read_frames
from auralis_server.library.models import Fingerprint, Track
from auralis_server.mastering import chain
from auralis_server.mastering.profile import unpack_profile
from auralis_server.streaming.plan_source import inputs_from_samples
from shared.wire import FrameReader
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library


def test_streamed_chunks_join_into_the_whole_track_render(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    path = library.music / "long.wav"
    write_audio(path, 42.0, seed=11)
    from auralis_server.library.scanner import Scanner

    Scanner([library.music], workers=1).run()
    track = Track.get(Track.path == str(path))
    decoded = read_frames(path, 0, track.total_frames).astype(np.float64)
    plan = inputs_from_samples(decoded, track.sample_rate).plan("punchy", 0.8)
    expected = chain.render(decoded, plan, track.sample_rate)

    server = live_server(library.app())
    url = f"{server.url}/api/tracks/{track.id}/stream"
    reader, frames = FrameReader(), []
    with httpx.stream(
        "GET", url, params={"preset": "punchy", "intensity": "0.8"}, timeout=60
    ) as response:
        for data in response.iter_bytes():
            frames.extend(reader.feed(data))
    assert [f.header.chunk_index for f in frames] == list(range(5))
    joined = np.concatenate([f.core for f in frames])
    assert np.abs(joined - expected).max() < 10 ** (-90 / 20)
    for frame, following in zip(frames, frames[1:], strict=False):
        assert np.abs(frame.tail - following.core[: len(frame.tail)]).max() < 10 ** (-90 / 20)
    shown = httpx.get(f"{server.url}/api/tracks/{track.id}/plan?preset=punchy&intensity=0.8").json()
    assert shown["plan"]["hash"] == plan.hash and shown["inputs"] == "cold"


@pytest.mark.parametrize("servers", ["none", "rust"])
def test_cold_plan_equals_the_plan_from_the_full_fingerprint(
    servers: str,
    library: Library,
    live_server: Callable[..., LiveServer],
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Cold from Python's plan inputs or from the Rust server's whole fingerprint (and the level
    profile, measured in Python either way), the plan is the one the stored fingerprint then
    gives."""
    caplog.set_level(logging.INFO, logger="auralis.plan")
    address = request.getfixturevalue("rust_server").address if servers == "rust" else "none"
    server = live_server(library.app(fingerprint_workers=1, fingerprint_servers=address))
    track_id = library.track_id("hi.flac")
    url = f"{server.url}/api/tracks/{track_id}/plan"
    plans = {
        preset: httpx.get(url, params={"preset": preset}).json() for preset in ("adaptive", "warm")
    }
    # The background queue may store the fingerprint between the two requests (Rust is that
    # fast); the first is cold, and every cold one is compared below.
    assert plans["adaptive"]["inputs"] == "cold"
    cold = {preset: body for preset, body in plans.items() if body["inputs"] == "cold"}
    assert httpx.post(f"{server.url}/api/tracks/{track_id}/fingerprint").status_code == 202
    deadline = time.monotonic() + 120
    while (
        httpx.get(f"{server.url}/api/tracks/{track_id}/fingerprint").json()["status"] != "complete"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for preset, before in cold.items():
        after = httpx.get(url, params={"preset": preset}).json()
        assert after["inputs"] == "fingerprint"
        assert after["plan"] == before["plan"]
    cold_by = "rust" if servers == "rust" else "python"
    assert any(f"cold plan inputs by {cold_by}" in r.getMessage() for r in caplog.records)
    # the Python job stores the level profile with the fingerprint; after Rust's, the first
    # plan measured it and kept it on the row
    stored = Fingerprint.get(Fingerprint.track == track_id).level_profile
    assert unpack_profile(bytes(stored)) is not None
    measured_here = any("level profile measured" in r.getMessage() for r in caplog.records)
    assert measured_here == (servers == "rust")
