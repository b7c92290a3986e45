"""`auralis`: the terminal client. Errors are one line on stderr and a non-zero exit.

Output piped into a reader that stops early (``auralis ls | head``) ends quietly with
status 141, as a program killed by SIGPIPE reports in the shell. `auralis ctl` is
dispatched before the client's modules load (httpx, numpy: half a second), so a remote
bound to a key answers at once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auralis_tui.config import ClientSettings

BROKEN_PIPE_STATUS = 141  # 128 + SIGPIPE


def _settings(args: argparse.Namespace) -> ClientSettings:
    from auralis_tui.commands.options import given_settings
    from auralis_tui.config import load_client_settings

    return load_client_settings(given_settings(args), config_path=getattr(args, "config", None))


def _tui(args: argparse.Namespace) -> int:
    """Check the server answers (one line if not), then hand the terminal to Textual."""
    from auralis_tui.api import PATIENT_RETRY_DELAYS_S, AuralisClient
    from auralis_tui.app.app import AuralisApp
    from auralis_tui.engine.outputs import SoundDeviceOutput, require_portaudio
    from auralis_tui.engine.session import Session
    from auralis_tui.engine.types import PlaybackSettings
    from auralis_tui.native_stderr import divert_native_stderr

    settings = _settings(args)

    async def check() -> None:
        async with AuralisClient(settings.server, settings.token) as client:
            await client.get_json("/api/tracks", limit=1)

    asyncio.run(check())
    divert_native_stderr()  # ALSA/PortAudio diagnostics would draw over the TUI
    require_portaudio()
    client = AuralisClient(settings.server, settings.token, retry_delays_s=PATIENT_RETRY_DELAYS_S)
    session = Session(
        client,
        lambda: SoundDeviceOutput(settings.device),
        settings=PlaybackSettings(settings.preset, settings.intensity),
        crossfade_s=settings.crossfade_seconds,
    )
    resume = not getattr(args, "no_resume", False)
    AuralisApp(client, session, remote_control=True, resume=resume).run()
    return 0


async def _run(args: argparse.Namespace) -> int:
    from auralis_tui.api import AuralisClient

    if args.command == "devices":
        from auralis_tui.engine.outputs import list_devices

        print("\n".join(list_devices()))
        return 0
    from auralis_tui.commands import fetch, listing, play

    settings = _settings(args)
    async with AuralisClient(settings.server, settings.token) as client:
        if args.command == "ls":
            return await listing.run(client, args)
        if args.command == "play":
            return await play.run(client, settings, args)
        return await fetch.run(client, settings, args)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written fetch removes its temporary file."""
    raise KeyboardInterrupt


def _ctl(words: list[str]) -> int:
    """`auralis ctl`: its own words (``seek -5``), not the settings' parser."""
    from auralis_tui.remote import client as remote

    return remote.main(words)


def _client(words: list[str]) -> int:
    """Every other command, and the full-screen player; a ``ClientError`` is one line."""
    from auralis_tui.api import ClientError
    from auralis_tui.commands.options import parse_arguments

    try:
        args = parse_arguments(words)
        if args.command == "ctl":  # reached only through the parser's own checks
            return _ctl(args.words)
        return _tui(args) if args.command is None else asyncio.run(_run(args))
    except ClientError as exc:
        print(f"auralis: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, _terminate)
    try:
        status = _ctl(words[1:]) if words[:1] == ["ctl"] else _client(words)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        # Python's recipe: stdout points at /dev/null so the exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_STATUS
    except KeyboardInterrupt:
        return 130  # Ctrl-C or SIGTERM; either way nothing half-written is left


if __name__ == "__main__":
    sys.exit(main())
