"""The command line: each client setting as a flag, on exactly the commands that use it.

A flag goes before or after the command name (``auralis --server URL ls`` or
``auralis ls --server URL``). Every copy defaults to ``SUPPRESS``, so the namespace holds
only the flags given (the one after the command wins) and ``load_client_settings`` fills
in the rest from the environment, ``client.toml`` and the defaults.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from auralis_tui.config import BY_NAME, CONFIG_ENV, Setting

_CONNECTION = ("server", "token")
_PLAYBACK = ("device", "preset", "intensity", "crossfade_seconds")
# The settings each command reads; None is the full-screen player (no command).
USES: dict[str | None, tuple[str, ...]] = {
    None: _CONNECTION + _PLAYBACK,
    "ls": _CONNECTION,
    "play": _CONNECTION + _PLAYBACK,
    "fetch": (*_CONNECTION, "preset", "intensity"),
    "devices": (),
    "ctl": (),  # dispatched before this parser (cli.py): listed here for `auralis --help`
}
_CONFIG = "config"


def _argument_type(setting: Setting) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return setting.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _options(names: Iterable[str]) -> list[argparse.ArgumentParser]:
    """A parent parser with ``--config`` and the flags of ``names`` (none if no names)."""
    names = tuple(names)
    if not names:
        return []
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("settings (flag, else $AURALIS_…, else client.toml)")
    group.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        default=argparse.SUPPRESS,
        help=f"settings file (${CONFIG_ENV}, else $XDG_CONFIG_HOME/auralis/client.toml)",
    )
    for name in names:
        setting = BY_NAME[name]
        group.add_argument(
            setting.flag,
            dest=setting.name,
            type=_argument_type(setting),
            metavar=setting.metavar,
            default=argparse.SUPPRESS,
            help=f"{setting.help} (${setting.env}, `{setting.name}`)",
        )
    return [parent]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auralis",
        description="The Auralis terminal client: with no command, the full-screen player.",
        parents=_options(USES[None]),
    )
    parser.add_argument(
        "--no-resume",
        action="store_true",
        default=argparse.SUPPRESS,
        help="start with an empty player instead of resuming the server's play state",
    )
    commands = parser.add_subparsers(dest="command")
    listing = commands.add_parser(
        "ls",
        parents=_options(USES["ls"]),
        help="list tracks matching QUERY, one tab-separated line each",
    )
    listing.add_argument("query", nargs="*")
    play = commands.add_parser(
        "play",
        parents=_options(USES["play"]),
        help="play tracks without the TUI: IDs, or every match of QUERY",
    )
    play.add_argument("what", nargs="+", metavar="ID…|QUERY")
    play.add_argument("--start", type=float, default=0.0, metavar="SECONDS", help="start offset")
    commands.add_parser("devices", help="list audio output devices")
    ctl = commands.add_parser(
        "ctl",
        help="control the running player: pause|resume|toggle|next|prev|seek ±S|status|queue",
    )
    ctl.add_argument("words", nargs=argparse.REMAINDER, metavar="COMMAND")
    fetch = commands.add_parser(
        "fetch",
        parents=_options(USES["fetch"]),
        help="write a mastered track to a .wav or .flac file",
    )
    fetch.add_argument("track_id", type=int, metavar="ID")
    fetch.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="a .wav or .flac file in an existing folder",
    )
    fetch.add_argument(
        "--loudness",
        choices=("track", "album"),
        default="track",
        help="level the track alone (default), or as part of its album",
    )
    return parser


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; a setting given before a command that does not use it is an error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    uses = USES[args.command]
    for name in vars(args):
        if (name in BY_NAME and name not in uses) or (name == _CONFIG and not uses):
            flag = BY_NAME[name].flag if name in BY_NAME else "--config"
            parser.error(f"{flag} does not apply to `auralis {args.command}`")
    if args.command is not None and "no_resume" in vars(args):
        parser.error(f"--no-resume does not apply to `auralis {args.command}`")
    return args


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags, by name, for ``load_client_settings``."""
    return {name: value for name, value in vars(args).items() if name in BY_NAME}
