"""`auralis-server demo-library DIR`: write the synthetic demo album (no settings needed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from auralis_server.cli.options import CommandError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("demo-library", help="write the synthetic demo album into DIR")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seconds", type=float, default=36.0, help="length of each track")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auralis_server.library.demo import write_demo_library

    if args.seconds <= 0:
        raise CommandError("--seconds must be positive")
    for path in write_demo_library(args.directory, seconds_per_track=args.seconds):
        print(path)
    return 0
