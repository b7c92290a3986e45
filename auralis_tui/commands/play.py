"""``auralis play ID… | QUERY``: tracks through the sound card, without the TUI."""

from __future__ import annotations

import argparse
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
    from auralis_tui.engine.session import Session
    from auralis_tui.engine.types import PlaybackSettings
    from auralis_tui.native_stderr import divert_native_stderr
    from auralis_tui.remote.server import serving

    wanted = requested(args.what)
    if isinstance(wanted, str):
        wanted = await client.track_ids(wanted)  # every page: no cap on a big library
        if not wanted:
            print("auralis: no track matches", file=sys.stderr)
            return 1
    divert_native_stderr()  # ALSA's "underrun occurred" lines go to the client log
    # A session, as the TUI has, so `auralis ctl` reaches the player through its controls.
    session = Session(
        client,
        lambda: SoundDeviceOutput(settings.device),
        crossfade_s=settings.crossfade_seconds,
        settings=PlaybackSettings(settings.preset, settings.intensity),
    )
    session.begin(wanted, 0, args.start)
    player = session.player
    assert player is not None
    print(f"auralis: playing {len(wanted)} track{'s' * (len(wanted) != 1)}", file=sys.stderr)
    async with serving(session, lambda line: print(f"auralis: {line}", file=sys.stderr)):
        try:
            # ``Session.run`` without dropping the report; lingering, a `prev` or seek from
            # `auralis ctl` in the last seconds still plays, and it returns once all is heard.
            report = await player.play(session.queue, start_s=args.start, linger=True)
        finally:
            session.stop_output()
    for problem in report.problems:
        print(f"auralis: {problem}", file=sys.stderr)
    print(
        f"auralis: played {report.seconds_played:.1f} s, {report.underruns} underruns",
        file=sys.stderr,
    )
    return 0
