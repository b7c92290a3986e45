"""``auralis play ID… | QUERY``: tracks through the sound card, without the TUI."""

from __future__ import annotations

import argparse
import asyncio
import sys

from auralis_tui.api import AuralisClient
from auralis_tui.config import ClientSettings


def requested(words: list[str]) -> list[int] | str:
    """Track ids when every word is a number (``play 3 4``), else one query."""
    if all(word.isascii() and word.isdigit() for word in words):
        return [int(word) for word in words]
    return " ".join(words)


async def run(client: AuralisClient, settings: ClientSettings, args: argparse.Namespace) -> int:
    from auralis_tui.engine.outputs import SoundDeviceOutput
    from auralis_tui.engine.player import Player
    from auralis_tui.engine.types import PlaybackSettings
    from auralis_tui.native_stderr import divert_native_stderr

    wanted = requested(args.what)
    if isinstance(wanted, str):
        wanted = [track["id"] for track in await client.tracks(wanted)]
        if not wanted:
            print("auralis: no track matches", file=sys.stderr)
            return 1
    divert_native_stderr()  # ALSA's "underrun occurred" lines go to the client log
    output = SoundDeviceOutput(settings.device)
    player = Player(
        client,
        output,
        crossfade_s=settings.crossfade_seconds,
        settings=PlaybackSettings(settings.preset, settings.intensity),
    )
    print(f"auralis: playing {len(wanted)} track{'s' * (len(wanted) != 1)}", file=sys.stderr)
    try:
        report = await player.play(wanted, start_s=args.start)
        await player.drain()
        await asyncio.sleep(0.2)  # let the device play out its last block
    finally:
        output.stop()
    for problem in report.problems:
        print(f"auralis: {problem}", file=sys.stderr)
    print(
        f"auralis: played {report.seconds_played:.1f} s, {report.underruns} underruns",
        file=sys.stderr,
    )
    return 0
