"""Regenerate docs/track_info.svg, the README's picture of the track info view.

Runs a server in a temporary home on MUSIC_DIR (default: the bundled demo library), waits for
the fingerprints, opens the info view on the first track whose name contains NAME (default:
the first track) and saves the screen once the loudness chart is drawn:
`python scripts/track_info_screenshot.py [MUSIC_DIR [NAME]]`.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
from screenshot_server import served

from auralis_tui.api import AuralisClient
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.widgets.loudness_chart import LoudnessChart
from auralis_tui.engine.outputs import CaptureOutput
from auralis_tui.engine.session import Session

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "track_info.svg"


async def _shoot(url: str, track_id: int) -> None:
    async with AuralisClient(url) as client:
        app = AuralisApp(client, Session(client, lambda: CaptureOutput(realtime=True)))
        async with app.run_test(size=(120, 40)) as pilot:
            app.catalog.highlighted_id = track_id
            await pilot.press("3")
            while (
                not app.screen.query(LoudnessChart) or not app.screen.query_one(LoudnessChart).lines
            ):
                await asyncio.sleep(0.05)
            await pilot.pause(0.3)
            app.save_screenshot(OUT.name, str(OUT.parent))
            await pilot.press("q")


def main(argv: list[str]) -> int:
    music = Path(argv[0]).resolve() if argv else None
    name = argv[1] if len(argv) > 1 else ""
    with served(music) as url:
        tracks = httpx.get(f"{url}/api/tracks", params={"limit": 1000}).json()["tracks"]
        track = next(t for t in tracks if name in t["path"] and not t.get("error"))
        asyncio.run(_shoot(url, track["id"]))
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
