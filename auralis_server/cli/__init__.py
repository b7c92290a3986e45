"""`auralis-server serve | scan | fingerprint | demo-library`: user errors are one line on stderr, exit 2.

Imports: audio, config, fingerprint, http, library, services.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from auralis_server import __version__
from auralis_server.audio.source import AUDIO_EXTENSIONS
from auralis_server.config import ConfigError, Settings, load_settings

log = logging.getLogger("auralis")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML config file (default: XDG config dir)")
    parser.add_argument(
        "--music",
        action="append",
        type=Path,
        metavar="DIR",
        help="music folder; repeat for several (default: $AURALIS_MUSIC or ~/Music)",
    )
    parser.add_argument(
        "--database-url", help="peewee db_url, e.g. postgresql://… (default: SQLite)"
    )
    parser.add_argument("--data-dir", type=Path, help="where the SQLite library lives")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument(
        "--fingerprint-servers",
        metavar="SPEC",
        help="'auto' (run the Rust server when built), 'none', or host:port[,host:port…]",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auralis-server", description="The Auralis music server.")
    parser.add_argument("--version", action="version", version=f"auralis-server {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="scan the library and serve the HTTP API")
    _add_common(serve)
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8765)")
    serve.add_argument("--token", help="bearer token clients must send (or AURALIS_TOKEN)")
    serve.add_argument(
        "--insecure-no-token",
        action="store_true",
        default=None,
        help="allow a non-loopback bind without a token",
    )
    serve.add_argument("--chunk-seconds", type=float, help="chunk length (default 10)")
    serve.add_argument(
        "--no-scan",
        dest="scan_on_start",
        action="store_false",
        default=None,
        help="do not rescan the library at start-up",
    )
    serve.add_argument(
        "--demo-if-empty",
        action="store_true",
        help="generate and serve the demo library when the music folders hold no audio",
    )

    scan = commands.add_parser("scan", help="scan the music folders into the library and exit")
    _add_common(scan)

    fingerprint = commands.add_parser("fingerprint", help="compute fingerprints now and exit")
    _add_common(fingerprint)
    which = fingerprint.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--all", action="store_true", help="every track without a current fingerprint"
    )
    which.add_argument(
        "ids",
        nargs="*",
        type=int,
        default=[],
        metavar="ID",
        help="these tracks, recomputed even if they have one",
    )
    fingerprint.add_argument(
        "--workers",
        type=int,
        dest="fingerprint_workers",
        help="worker processes (default: one per core)",
    )

    demo = commands.add_parser("demo-library", help="write the synthetic demo album into DIR")
    demo.add_argument("directory", type=Path)
    demo.add_argument("--seconds", type=float, default=36.0, help="length of each track")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    keys = (
        "host",
        "port",
        "token",
        "insecure_no_token",
        "chunk_seconds",
        "scan_on_start",
        "database_url",
        "data_dir",
        "log_level",
        "fingerprint_workers",
        "fingerprint_servers",
    )
    overrides: dict[str, Any] = {key: getattr(args, key, None) for key in keys}
    overrides["music_dirs"] = args.music
    return load_settings(overrides, config_path=args.config)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _has_audio(directories: tuple[Path, ...]) -> bool:
    for directory in directories:
        for _, _, files in os.walk(directory):
            if any(os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS for name in files):
                return True
    return False


def _listen_socket(host: str, port: int) -> socket.socket:
    try:
        family = (
            socket.AF_INET6
            if ipaddress.ip_address(host.strip("[]")).version == 6
            else socket.AF_INET
        )
    except ValueError:
        family = socket.AF_INET
    return socket.create_server((host.strip("[]"), port), family=family, backlog=256)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from auralis_server.http.app import create_app
    from auralis_server.library.demo import write_demo_library

    settings = _settings(args)
    refusal = settings.bind_refusal()
    if refusal:
        print(f"auralis-server: {refusal}", file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    if args.demo_if_empty and not _has_audio(settings.effective_music_dirs()):
        if not _has_audio((settings.demo_dir,)):
            print(
                f"auralis-server: no music found; writing the demo library to {settings.demo_dir}",
                file=sys.stderr,
            )
            write_demo_library(settings.demo_dir)
        settings = Settings(**{**settings.__dict__, "music_dirs": (settings.demo_dir,)})
    try:
        sock = _listen_socket(settings.host, settings.port)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(
            f"auralis-server: cannot listen on {settings.host}:{settings.port}: {reason}",
            file=sys.stderr,
        )
        return 1
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    auth = ' -H "Authorization: Bearer $AURALIS_TOKEN"' if settings.token else ""
    music = ", ".join(str(d) for d in settings.effective_music_dirs())
    print(
        f"Auralis {__version__} serving {music}\n  {url}\n  try: curl -s{auth} '{url}/api/tracks?limit=5'",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(
        create_app(settings),
        log_level=settings.log_level,
        access_log=True,
        timeout_graceful_shutdown=3,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _scan(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from auralis_server.library.models import close_database, open_database
    from auralis_server.library.scanner import Scanner, ScanProgress

    settings = _settings(args)
    _configure_logging(settings.log_level if args.log_level else "warning")
    open_database(settings.database_url, settings.sqlite_path)
    try:
        with Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[errors]} unreadable"),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("scan", total=None, errors=0)

            def show(progress: ScanProgress) -> None:
                bar.update(
                    task,
                    total=progress.discovered,
                    completed=progress.processed,
                    errors=progress.errors,
                )

            result = Scanner(settings.effective_music_dirs(), on_progress=show).run()
    finally:
        close_database()
    for problem in result.root_errors:
        print(f"auralis-server: {problem}", file=sys.stderr)
    print(
        f"{result.discovered} files: {result.added} added, {result.updated} updated, "
        f"{result.removed} removed, {result.unchanged} unchanged, {result.errors} unreadable "
        f"({result.elapsed_seconds:.1f} s)"
    )
    return 0 if result.state == "finished" else 1


def _fingerprint(args: argparse.Namespace) -> int:
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from auralis_server.fingerprint.scheduler import HIGH
    from auralis_server.library.models import Track
    from auralis_server.services import build_services

    settings = _settings(args)
    _configure_logging(settings.log_level if args.log_level else "warning")
    if settings.fingerprint_workers < 1:
        print("auralis-server: --workers must be at least 1", file=sys.stderr)
        return 2
    finished: dict[int, str] = {}

    def record(kind: str, data: dict[str, Any]) -> None:
        if data.get("status") in ("complete", "error"):
            finished[data["track_id"]] = data["status"]

    services = build_services(settings, also_publish=record)
    queue = services.fingerprints
    services.start(background_fingerprints=False)
    try:
        missing = [i for i in args.ids if not Track.select().where(Track.id == i).exists()]
        if missing:
            print(
                f"auralis-server: no track with id {', '.join(map(str, missing))}", file=sys.stderr
            )
            return 2
        queue.start()  # queues every pending and stale track
        for track_id in args.ids:
            queue.enqueue(track_id, HIGH, force=True)
        with Progress(
            TextColumn("fingerprinting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("fingerprint", total=None)
            while not queue.idle():
                status = queue.status()
                total = len(finished) + status["queue_depth"] + status["in_flight"]
                bar.update(task, total=total, completed=len(finished))
                time.sleep(0.2)
    finally:
        services.stop()
    errors = sum(1 for status in finished.values() if status == "error")
    print(f"{len(finished)} tracks fingerprinted, {errors} failed")
    return 0 if errors == 0 else 1


def _demo(args: argparse.Namespace) -> int:
    from auralis_server.library.demo import write_demo_library

    if args.seconds <= 0:
        print("auralis-server: --seconds must be positive", file=sys.stderr)
        return 2
    for path in write_demo_library(args.directory, seconds_per_track=args.seconds):
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"serve": _serve, "scan": _scan, "fingerprint": _fingerprint, "demo-library": _demo}
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        print(f"auralis-server: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
