"""Run `auralis` the way a user does: a new process, from the checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AURALIS = (sys.executable, "-m", "auralis_tui.cli")


def auralis(
    *args: str, umask: int | None = None, **options: Any
) -> subprocess.CompletedProcess[Any]:
    """``auralis ARGS``; ``options`` go to ``subprocess.run`` (text output unless told).

    ``umask`` is set by a shell in the child: ``os.umask`` here would also change it for
    the test server's threads.
    """
    command = [*AURALIS, *args]
    if umask is not None:
        command = ["sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", *command]
    settings: dict[str, Any] = {"capture_output": True, "text": True, "timeout": 120, "cwd": ROOT}
    return subprocess.run(command, **{**settings, **options})
