"""`auralis-server serve`: check the settings, bind the socket, print the banner, run uvicorn.

Everything that can fail because of the user's settings (a refused bind, a busy port, a
folder that cannot be written) fails here as one line before the "serving" banner.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

from auralis_server import __version__
from auralis_server.audio.source import AUDIO_EXTENSIONS
from auralis_server.cli.options import (
    CommandError,
    add_setting_flags,
    configure_logging,
    require_library_dir,
    require_writable,
    settings_from,
)
from auralis_server.config import Settings

SETTINGS = (
    "music_dirs",
    "host",
    "port",
    "token",
    "insecure_no_token",
    "chunk_seconds",
    "scan_on_start",
    "cache_dir",
    "chunk_cache_memory_mb",
    "chunk_cache_disk_mb",
    "fingerprint_workers",
    "render_processes",
    "fingerprint_servers",
    "subsonic_user",
    "subsonic_password",
    "subsonic_api_keys",
)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], where: argparse.ArgumentParser
) -> None:
    parser = commands.add_parser(
        "serve", parents=[where], help="scan the library and serve the HTTP API"
    )
    add_setting_flags(parser, *SETTINGS)
    parser.add_argument(
        "--fingerprint-lease-s",
        dest="fingerprint_lease_s",
        type=float,
        metavar="S",
        help="how long a claimed fingerprint job is this server's without renewal (default 30)",
    )
    parser.add_argument(
        "--replica-id",
        dest="replica_id",
        metavar="NAME",
        help="this server's name in fingerprint claims when several share one database "
        "(default: host name and process id)",
    )
    parser.add_argument(
        "--demo-if-empty",
        action="store_true",
        help="generate and serve the demo library when the music folders hold no audio",
    )
    parser.set_defaults(run=run)


def listen_socket(host: str, port: int) -> socket.socket:
    """The bound listening socket, with TCP_NODELAY set for every connection it accepts.

    asyncio sets TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP, and those of
    ``socket.create_server`` have proto 0; without it each response on a kept-alive
    connection waits for the client's delayed ACK (~40 ms). Accepted sockets inherit it.
    """
    bare_host = host.strip("[]")
    try:
        is_v6 = ipaddress.ip_address(bare_host).version == 6
    except ValueError:
        is_v6 = False
    family = socket.AF_INET6 if is_v6 else socket.AF_INET
    try:
        sock = socket.create_server((bare_host, port), family=family, backlog=256)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise CommandError(f"cannot listen on {host}:{port}: {reason}", code=1) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _has_audio(directories: tuple[Path, ...]) -> bool:
    for directory in directories:
        for _, _, files in os.walk(directory):
            if any(os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS for name in files):
                return True
    return False


def _with_demo_if_empty(settings: Settings) -> Settings:
    """Point the settings at the demo library, writing it first if it is not there yet."""
    from auralis_server.library.demo import write_demo_library

    if _has_audio(settings.effective_music_dirs()):
        return settings
    if not _has_audio((settings.demo_dir,)):
        print(
            f"auralis-server: no music found; writing the demo library to {settings.demo_dir}",
            file=sys.stderr,
        )
        write_demo_library(settings.demo_dir)
    return replace(settings, music_dirs=(settings.demo_dir,))


def _banner(settings: Settings, port: int) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    auth = ' -H "Authorization: Bearer $AURALIS_TOKEN"' if settings.token else ""
    music = ", ".join(str(d) for d in settings.effective_music_dirs())
    return (
        f"Auralis {__version__} serving {music}\n  {url}\n"
        f"  try: curl -s{auth} '{url}/api/tracks?limit=5'"
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from auralis_server.http.app import create_app
    from auralis_server.library.models import close_database, open_database

    settings = settings_from(args)
    refusal = settings.bind_refusal()
    if refusal:
        raise CommandError(refusal)
    configure_logging(settings.log_level)
    require_library_dir(settings)
    if settings.chunk_cache_disk_mb > 0:
        require_writable("chunk cache folder", settings.cache_dir / "chunks")
    open_database(settings.database_url, settings.sqlite_path)  # migrate, or refuse in one line
    close_database()
    if args.demo_if_empty:
        settings = _with_demo_if_empty(settings)
    sock = listen_socket(settings.host, settings.port)
    app = create_app(settings)
    print(_banner(settings, sock.getsockname()[1]), file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app, log_level=settings.log_level, access_log=True, timeout_graceful_shutdown=3
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0
