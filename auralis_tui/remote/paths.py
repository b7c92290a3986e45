"""Where the player's socket lives: ``$XDG_RUNTIME_DIR/auralis.sock``, one per user.

Without ``XDG_RUNTIME_DIR`` (a cron job, ``su``, a container), the folder is
``$TMPDIR/auralis-UID`` (``/tmp`` by default), made 0700 and refused if another user owns
it or others may enter it, as tmux does with its own: whoever can reach the socket can
drive the player.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

SOCKET_NAME = "auralis.sock"


class UnsafeFolder(OSError):
    """The fallback folder is not this user's alone (one line for the user)."""


def socket_path(environ: Mapping[str, str] | None = None) -> Path:
    """The socket a player listens on and `auralis ctl` connects to."""
    environ = os.environ if environ is None else environ
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime):  # the spec: a relative value is to be ignored
        return Path(runtime) / SOCKET_NAME
    return _fallback_folder(environ) / SOCKET_NAME


def _fallback_folder(environ: Mapping[str, str]) -> Path:
    temporary = environ.get("TMPDIR") or tempfile.gettempdir()
    return Path(temporary) / f"auralis-{os.getuid()}"


def prepare_folder(path: Path, environ: Mapping[str, str] | None = None) -> None:
    """Make the socket's folder if it is the fallback one, and check it is private.

    ``$XDG_RUNTIME_DIR`` is the session's own (0700 by its spec) and is only required to
    exist; the fallback under a shared temporary folder must be ours and closed to others.
    """
    folder = path.parent
    if folder != _fallback_folder(os.environ if environ is None else environ):
        if not folder.is_dir():
            raise FileNotFoundError(f"no folder {folder} for the control socket")
        return
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise UnsafeFolder(f"{folder} is not a folder of this user: no control socket")
    if info.st_mode & 0o077:
        raise UnsafeFolder(f"{folder} is open to other users (chmod 700 it): no control socket")
