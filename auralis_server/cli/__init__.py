"""`auralis-server serve | scan | fingerprint | playlist | master | demo-library`: one module per command.

``options`` holds what the commands share; each command module adds its own subparser and
``run``s it. User errors are one line on stderr and exit 2 (a busy port exits 1).

Imports: audio, config, fingerprint, fingerprint.dsp, fingerprint.rust, http, library, mastering, services.
"""

from __future__ import annotations

import argparse
import sys

from auralis_server import __version__
from auralis_server.cli import demo, fingerprint, master, playlist, scan, serve
from auralis_server.cli.options import WHERE_DESTS, CommandError, where_options
from auralis_server.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auralis-server",
        description="The Auralis music server.",
        parents=[where_options(on_command=False)],
    )
    parser.add_argument("--version", action="version", version=f"auralis-server {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    where = where_options(on_command=True)
    for command in (serve, scan, fingerprint, playlist, master):
        command.add_parser(commands, where)
    demo.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo-library":
        given = [name for name in WHERE_DESTS if getattr(args, name) is not None]
        if given:
            parser.error(f"demo-library takes no --{given[0].replace('_', '-')}")
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"auralis-server: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"auralis-server: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
