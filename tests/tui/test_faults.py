"""Network trouble: the server is killed during playback and comes back on the same port.

The app must say it is reconnecting, then carry on from the chunk it was missing: what
the (capture) device played is the whole track's render, nothing repeated or dropped.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

import numpy as np

from auralis_server.library.models import Track, close_database, open_database
from auralis_tui.api import PATIENT_RETRY_DELAYS_S, AuralisClient
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.session import Session
from tests.conftest import free_port, write_audio
from tests.server.conftest import ServerProcess
from tests.tui.test_app import bar_text, until
from tests.tui.test_player import TOLERANCE, _render

SPEED = 2.0  # the capture device plays at twice real time


def test_server_killed_and_restarted_mid_track_resumes_at_the_right_chunk(
    tmp_path: Path, serve: Callable[..., ServerProcess]
) -> None:
    music = tmp_path / "music"
    write_audio(music / "long.wav", 40.0, seed=31)
    port = free_port()
    args = ("--music", str(music), "--data-dir", str(tmp_path / "data"), "--port", str(port))
    server = serve(*args)
    server.wait_for_scan()
    output = CaptureOutput(realtime=True, speed=SPEED)
    seen: dict[str, object] = {}

    async def main() -> None:
        async with AuralisClient(server.url, retry_delays_s=PATIENT_RETRY_DELAYS_S) as client:
            session = Session(client, lambda: output, prefetch_chunks=1)
            app = AuralisApp(client, session)
            async with app.run_test(size=(140, 40)) as pilot:
                tracks = app.query_one("#tracks", TrackTable)
                await until(lambda: len(tracks.track_ids) == 1, "the track list")
                await pilot.press("tab", "tab", "enter")
                await until(lambda: session.status().state == "playing", "playback")
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(10)
                await until(lambda: "reconnecting" in bar_text(app), "the reconnecting state", 30)
                seen["reconnecting_at_s"] = session.status().position_s
                seen["bar"] = bar_text(app)
                serve(*args)  # the same port, the same database
                await until(lambda: session.status().state == "playing", "playback again", 30)
                await until(lambda: session.player is not None and session.player.finished,
                            "the end of the track", 60)  # fmt: skip
                seen["underruns"] = session.status().underruns
                await pilot.press("q")

    asyncio.run(main())
    assert "reconnecting (attempt" in str(seen["bar"])
    assert 0 < float(seen["reconnecting_at_s"]) < 40.0  # noticed mid-track
    open_database(None, tmp_path / "data" / "auralis.db")
    try:
        Track.get(Track.path == str(music / "long.wav"))
        expected = _render(music / "long.wav").astype(np.float32)
    finally:
        close_database()
    played = output.samples
    assert seen["underruns"] == 0
    assert played.shape == expected.shape
    assert np.abs(played - expected).max() < TOLERANCE
