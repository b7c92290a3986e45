"""`auralis-server fingerprint`: compute fingerprints in the foreground, then exit.

The services come from ``services.build_services``, the same wiring ``serve`` uses.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from auralis_server.cli.options import (
    CommandError,
    add_setting_flags,
    configure_logging,
    require_library_dir,
    settings_from,
)
from shared.terminal import progress_bar

_PROGRESS_INTERVAL_S = 0.2


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], where: argparse.ArgumentParser
) -> None:
    parser = commands.add_parser(
        "fingerprint", parents=[where], help="compute fingerprints now and exit"
    )
    which = parser.add_mutually_exclusive_group(required=True)
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
    add_setting_flags(
        parser,
        "fingerprint_workers",
        "fingerprint_servers",
        "cache_dir",
        aliases={"fingerprint_workers": "--workers"},
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auralis_server.fingerprint.scheduler import HIGH
    from auralis_server.library.models import Track
    from auralis_server.services import build_services

    settings = settings_from(args)
    configure_logging(settings.log_level if args.log_level else "warning")
    if settings.fingerprint_workers < 1:
        raise CommandError("--workers must be at least 1")
    require_library_dir(settings)
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
            raise CommandError(f"no track with id {', '.join(map(str, missing))}")
        queue.start()  # queues every pending and stale track
        for track_id in args.ids:
            queue.enqueue(track_id, HIGH, force=True)
        with progress_bar("fingerprinting") as bar:
            task = bar.add_task("fingerprint", total=None)
            while not queue.idle():
                status = queue.status()
                total = len(finished) + status["queue_depth"] + status["in_flight"]
                bar.update(task, total=total, completed=len(finished))
                time.sleep(_PROGRESS_INTERVAL_S)
    finally:
        services.stop()
    errors = sum(1 for status in finished.values() if status == "error")
    print(f"{len(finished)} tracks fingerprinted, {errors} failed")
    return 0 if errors == 0 else 1
