"""Regenerate docs/tui.svg, the README's picture of the TUI, with Textual's own screenshot.

Runs a server on a fresh demo library in a temporary home, plays the second song into a
capture output (no sound card needed) and saves the screen: `python scripts/tui_screenshot.py`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from auralis_tui.api import AuralisClient
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.widgets.now_playing import NowPlayingBar
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.session import Session

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "tui.svg"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _shoot(url: str) -> None:
    async with AuralisClient(url) as client:
        app = AuralisApp(client, Session(client, lambda: CaptureOutput(realtime=True)))
        async with app.run_test(size=(132, 32)) as pilot:
            tracks = app.query_one("#tracks", TrackTable)
            while len(tracks.track_ids) < 5:
                await asyncio.sleep(0.05)
            await pilot.press("tab", "tab", "j", "enter")
            bar = app.query_one(NowPlayingBar)
            while bar.plan is None or app.session.status().position_s < 7.0:
                await asyncio.sleep(0.05)
            await pilot.press("j", "j")
            await pilot.pause(0.3)
            app.save_screenshot(OUT.name, str(OUT.parent))
            await pilot.press("q")


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        port = _free_port()
        env = {**os.environ, "HOME": home, "AURALIS_PORT": str(port)}
        env = {k: v for k, v in env.items() if not k.startswith("XDG_")}
        log = Path(home) / "server.log"
        with log.open("w") as sink:
            server = subprocess.Popen(
                [sys.executable, "-m", "auralis_server.cli", "serve", "--demo-if-empty"],
                env=env,
                stdout=sink,
                stderr=sink,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while "scan finished" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            while httpx.get(f"{url}/api/fingerprints/status").json()["counts"]["pending"]:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            asyncio.run(_shoot(url))
        finally:
            server.terminate()
            server.wait(10)
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
