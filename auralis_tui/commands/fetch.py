"""``auralis fetch ID -o FILE``: the mastered track as a file, with a progress bar."""

from __future__ import annotations

import argparse

from auralis_tui.api import AuralisClient
from auralis_tui.config import ClientSettings
from auralis_tui.fetch import fetch_track


async def run(client: AuralisClient, settings: ClientSettings, args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(f"track {args.track_id}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("fetch", total=None)
        path = await fetch_track(
            client,
            args.track_id,
            args.output,
            preset=settings.preset,
            intensity=settings.intensity,
            on_chunk=lambda done, total: bar.update(task, completed=done, total=total),
        )
    print(path)
    return 0
