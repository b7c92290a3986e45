"""``auralis fetch ID -o FILE``: the mastered track as a file, with a progress bar."""

from __future__ import annotations

import argparse

from auralis_tui.api import AuralisClient
from auralis_tui.config import ClientSettings
from auralis_tui.fetch import fetch_track
from shared.terminal import progress_bar


async def run(client: AuralisClient, settings: ClientSettings, args: argparse.Namespace) -> int:
    with progress_bar(f"track {args.track_id}") as bar:
        task = bar.add_task("fetch", total=None)
        path = await fetch_track(
            client,
            args.track_id,
            args.output,
            preset=settings.preset,
            intensity=settings.intensity,
            loudness=args.loudness,
            on_chunk=lambda done, total: bar.update(task, completed=done, total=total),
        )
    print(path)
    return 0
