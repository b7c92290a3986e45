"""`auralis-server scan`: bring the library up to date with the music folders, then exit."""

from __future__ import annotations

import argparse
import sys

from rich.progress import TextColumn

from auralis_server.cli.options import add_setting_flags, library_opened
from shared.terminal import progress_bar


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], where: argparse.ArgumentParser
) -> None:
    parser = commands.add_parser(
        "scan", parents=[where], help="scan the music folders into the library and exit"
    )
    add_setting_flags(parser, "music_dirs")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auralis_server.library.scanner import Scanner, ScanProgress

    with library_opened(args) as settings:
        with progress_bar("scanning", TextColumn("{task.fields[errors]} unreadable")) as bar:
            task = bar.add_task("scan", total=None, errors=0)

            def show(progress: ScanProgress) -> None:
                bar.update(
                    task,
                    total=progress.discovered,
                    completed=progress.processed,
                    errors=progress.errors,
                )

            result = Scanner(settings.effective_music_dirs(), on_progress=show).run()
    for problem in result.root_errors:
        print(f"auralis-server: {problem}", file=sys.stderr)
    print(
        f"{result.discovered} files: {result.added} added, {result.updated} updated, "
        f"{result.removed} removed, {result.unchanged} unchanged, {result.errors} unreadable "
        f"({result.elapsed_seconds:.1f} s)"
    )
    return 0 if result.state == "finished" else 1
