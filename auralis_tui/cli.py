"""`auralis`: the terminal client. Errors are one line on stderr and a non-zero exit.

Output piped into a reader that stops early (``auralis ls | head``) ends quietly with
status 141, as a program killed by SIGPIPE reports in the shell.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.commands.options import given_settings, parse_arguments
from auralis_tui.config import ClientSettings, load_client_settings

BROKEN_PIPE_STATUS = 141  # 128 + SIGPIPE


def _settings(args: argparse.Namespace) -> ClientSettings:
    return load_client_settings(given_settings(args), config_path=getattr(args, "config", None))


def _tui(args: argparse.Namespace) -> int:
    """Check the server answers (one line if not), then hand the terminal to Textual."""
    from auralis_tui.api import PATIENT_RETRY_DELAYS_S
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
    AuralisApp(client, session).run()
    return 0


async def _run(args: argparse.Namespace) -> int:
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


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        status = _tui(args) if args.command is None else asyncio.run(_run(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        # Python's recipe: stdout points at /dev/null so the exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_STATUS
    except ClientError as exc:
        print(f"auralis: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130  # Ctrl-C or SIGTERM; either way nothing half-written is left


if __name__ == "__main__":
    sys.exit(main())
