"""Regenerate docs/tui.svg, the README's picture of the TUI, with Textual's own screenshot.

Runs a server on a fresh demo library in a temporary home, plays the second song into a
capture output (no sound card needed) and saves the screen: `python scripts/tui_screenshot.py`.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from screenshot_server import served

from auralis_tui.api import AuralisClient
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.widgets.now_playing import NowPlayingBar
from auralis_tui.app.widgets.track_table import TrackTable
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.session import Session

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "tui.svg"


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
    with served() as url:
        asyncio.run(_shoot(url))
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
