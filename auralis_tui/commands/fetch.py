"""``auralis fetch ID -o FILE``: the mastered track as a file, with a progress bar."""

from __future__ import annotations

import argparse

from auralis_tui.api import AuralisClient
from auralis_tui.config import ClientSettings
from auralis_tui.fetch import fetch_track


async def run(client: AuralisClient, settings: ClientSettings, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)  # stdout carries only the result, for scripts
    with Progress(
        TextColumn(f"track {args.track_id}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,  # no bar, and no stray newline, in a pipe
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
