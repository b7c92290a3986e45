"""What the commands share: their options, the settings those resolve to, logging, errors.

Where the settings and the library live (``--config``, ``--data-dir``, ``--database-url``,
``--log-level``) may be given before or after the command name. The top-level parser holds
these options with ``None`` defaults; each command holds copies whose default is
``SUPPRESS``, so a copy left out does not overwrite what came before the command. Every
other setting's flag is added only to the commands that read it, from one table here.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from auralis_server.config import Settings, load_settings

WHERE_DESTS = ("config", "database_url", "data_dir", "log_level")


class CommandError(Exception):
    """A failure the user can fix: printed as one line, then the process exits with ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def where_options(*, on_command: bool) -> argparse.ArgumentParser:
    """The options accepted on either side of the command name (a parent parser)."""
    parser = argparse.ArgumentParser(
        add_help=False, argument_default=argparse.SUPPRESS if on_command else None
    )
    parser.add_argument("--config", type=Path, help="TOML config file (default: XDG config dir)")
    parser.add_argument(
        "--database-url", help="peewee db_url, e.g. postgresql://… (default: SQLite)"
    )
    parser.add_argument("--data-dir", type=Path, help="where the SQLite library lives")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    return parser


_SETTING_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "music_dirs": (
        "--music",
        {
            "action": "append",
            "type": Path,
            "metavar": "DIR",
            "help": "music folder; repeat for several (default: $AURALIS_MUSIC or ~/Music)",
        },
    ),
    "host": ("--host", {"help": "address to bind (default 127.0.0.1)"}),
    "port": ("--port", {"type": int, "help": "port (default 8765)"}),
    "token": ("--token", {"help": "bearer token clients must send (or AURALIS_TOKEN)"}),
    "insecure_no_token": (
        "--insecure-no-token",
        {
            "action": "store_true",
            "default": None,
            "help": "allow a non-loopback bind without a token",
        },
    ),
    "chunk_seconds": ("--chunk-seconds", {"type": float, "help": "chunk length (default 10)"}),
    "scan_on_start": (
        "--no-scan",
        {"action": "store_false", "default": None, "help": "do not rescan the library at start-up"},
    ),
    "cache_dir": ("--cache-dir", {"type": Path, "help": "rendered chunks and sidecar fallbacks"}),
    "chunk_cache_memory_mb": (
        "--chunk-cache-memory-mb",
        {"type": int, "metavar": "MB", "help": "in-memory chunk cache size (default 256)"},
    ),
    "chunk_cache_disk_mb": (
        "--chunk-cache-disk-mb",
        {"type": int, "metavar": "MB", "help": "on-disk chunk cache size; 0 turns it off"},
    ),
    "fingerprint_workers": (
        "--fingerprint-workers",
        {
            "type": int,
            "metavar": "N",
            "help": "fingerprint worker processes (default: one per core)",
        },
    ),
    "render_processes": (
        "--render-processes",
        {
            "type": int,
            "metavar": "N",
            "help": "chunk read-ahead render processes, plus one for starts (default: one per core; 0: threads)",
        },
    ),
    "fingerprint_servers": (
        "--fingerprint-servers",
        {
            "metavar": "SPEC",
            "help": "'auto' (run the Rust server when built), 'none', or host:port[,host:port…]",
        },
    ),
    "subsonic_user": (
        "--subsonic-user",
        {"help": "the Subsonic (/rest/) user name (default auralis)"},
    ),
    "subsonic_password": (
        "--subsonic-password",
        {"help": "the Subsonic user's password (or AURALIS_SUBSONIC_PASSWORD)"},
    ),
    "subsonic_api_keys": (
        "--subsonic-api-keys",
        {"metavar": "KEY[,KEY…]", "help": "Subsonic API keys, comma-separated"},
    ),
}


def add_setting_flags(
    parser: argparse.ArgumentParser, *names: str, aliases: dict[str, str] | None = None
) -> None:
    """Add the flags of these settings; ``aliases`` gives a setting a second, shorter flag."""
    for name in names:
        flag, options = _SETTING_FLAGS[name]
        extra = (aliases or {}).get(name)
        parser.add_argument(flag, *([extra] if extra else []), dest=name, **options)


def settings_from(args: argparse.Namespace) -> Settings:
    """Defaults < TOML < environment < the flags this command was given."""
    overrides = {field.name: getattr(args, field.name, None) for field in fields(Settings)}
    return load_settings(overrides, config_path=args.config)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def require_writable(what: str, directory: Path) -> None:
    """Create ``directory`` and prove a file can be written there, or raise CommandError."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(f"cannot write the {what} {directory}: {reason}") from None


def require_library_dir(settings: Settings) -> None:
    """The SQLite library's folder must be writable (a database URL needs no folder)."""
    if not settings.database_url:
        require_writable("data folder", settings.data_dir)


@contextlib.contextmanager
def library_opened(args: argparse.Namespace) -> Iterator[Settings]:
    """A one-shot command's settings, with logging set up and the library open (migrated, or
    refused in one line) while the block runs."""
    from auralis_server.library.models import close_database, open_database

    settings = settings_from(args)
    configure_logging(settings.log_level if args.log_level else "warning")
    require_library_dir(settings)
    open_database(settings.database_url, settings.sqlite_path)
    try:
        yield settings
    finally:
        close_database()
