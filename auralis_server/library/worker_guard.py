"""Pool workers that die with the process that started them.

A ``spawn`` pool worker blocks on its task queue forever if the server is killed with
SIGKILL (nothing closes the queue), and it keeps the multiprocessing resource tracker
alive with it. Passing ``die_with_parent`` as the pool ``initializer`` (with the parent's
pid as its argument) ends the worker as soon as the parent is gone: on Linux the kernel
sends SIGKILL (``PR_SET_PDEATHSIG``); elsewhere a daemon thread polls ``getppid``.

PR_SET_PDEATHSIG fires when the *thread* that started the worker exits, so use it only for
pools created and drained by one thread (the scanner's ``with`` block is). A long-lived pool
whose workers any thread may start (the fingerprint queue's) uses ``watch_parent``, which
polls and so follows the process, not the thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_POLL_INTERVAL_S = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: arrange for this worker to end when ``parent_pid`` does."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            _watch(parent_pid)
    else:
        _watch(parent_pid)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)


def watch_parent(parent_pid: int) -> None:
    """Pool initializer: end this worker within a poll interval of ``parent_pid`` ending."""
    _watch(parent_pid)
    if os.getppid() != parent_pid:
        os._exit(1)


def watch_process(pid: int) -> None:
    """Pool initializer: end this worker within a poll interval of process ``pid`` ending,
    whoever this worker's parent is (a ``forkserver`` pool's workers are the fork server's
    children, not the server's, so neither ``getppid`` nor PR_SET_PDEATHSIG sees the server
    go; and such a worker holds both ends of its own queues, so it would wait forever)."""

    def poll() -> None:
        while _exists(pid):
            threading.Event().wait(_POLL_INTERVAL_S)
        os._exit(1)

    threading.Thread(target=poll, name="die-with-process", daemon=True).start()


def _exists(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user counts: signal 0 is refused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(parent_pid: int) -> None:
    def poll() -> None:
        while os.getppid() == parent_pid:
            threading.Event().wait(_POLL_INTERVAL_S)
        os._exit(1)

    threading.Thread(target=poll, name="die-with-parent", daemon=True).start()
