"""Keep C libraries' diagnostics off the terminal: ALSA and PortAudio print to file
descriptor 2 ("underrun occurred", device probing), which would land on top of the TUI or
flood `auralis play`'s output. Descriptor 2 goes to the client log; Python's own stderr,
which Textual draws on, keeps the terminal through a duplicate of the original descriptor.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def client_log_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(state) / "auralis" / "client.log"


def divert_native_stderr(log_path: Path | None = None) -> Path | None:
    """Send descriptor 2 to ``log_path``; None (and nothing changed) if it cannot be opened."""
    path = log_path or client_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        return None
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(2), "w", buffering=1, errors="backslashreplace")
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.stderr = sys.__stderr__ = terminal
    return path
