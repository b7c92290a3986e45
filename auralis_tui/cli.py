"""`auralis`: the terminal client. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.config import load_client_settings
from auralis_tui.format import duration_text
from shared.stream_params import PRESETS, parse_intensity


def _playback_options(parser: argparse.ArgumentParser, top_level: bool) -> None:
    """--device/--preset/--intensity/--crossfade, before or after the command.

    After a command they default to SUPPRESS, so they do not overwrite one given before it.
    """

    def default(value: object) -> object:
        return value if top_level else argparse.SUPPRESS

    parser.add_argument(
        "--device",
        default=default(None),
        help="output device name or index (see `auralis devices`)",
    )
    parser.add_argument("--preset", choices=PRESETS, default=default("adaptive"))
    parser.add_argument("--intensity", type=_intensity, default=default(1.0))
    parser.add_argument(
        "--crossfade",
        type=float,
        default=default(0.0),
        metavar="SECONDS",
        help="equal-power crossfade between tracks (default: gapless)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auralis",
        description="The Auralis terminal client: with no command, the full-screen player.",
    )
    parser.add_argument(
        "--server", help="server URL (default $AURALIS_SERVER, client.toml, or loopback)"
    )
    parser.add_argument("--token", help="bearer token (default $AURALIS_TOKEN)")
    _playback_options(parser, top_level=True)
    commands = parser.add_subparsers(dest="command")
    listing = commands.add_parser("ls", help="list tracks matching QUERY (tab-separated)")
    listing.add_argument("query", nargs="*")
    play = commands.add_parser(
        "play", help="play tracks without the TUI: an id, or every match of QUERY"
    )
    play.add_argument("what", nargs="+", metavar="ID|QUERY")
    _playback_options(play, top_level=False)
    play.add_argument("--start", type=float, default=0.0, metavar="SECONDS", help="start offset")
    commands.add_parser("devices", help="list audio output devices")
    fetch = commands.add_parser("fetch", help="write a mastered track to a .wav or .flac file")
    fetch.add_argument("track_id", type=int, metavar="ID")
    fetch.add_argument("-o", "--output", type=Path, required=True)
    fetch.add_argument("--preset", choices=PRESETS, default=argparse.SUPPRESS)
    fetch.add_argument("--intensity", type=_intensity, default=argparse.SUPPRESS)
    return parser


def _intensity(text: str) -> float:
    try:
        return parse_intensity(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


async def _ls(client: AuralisClient, args: argparse.Namespace) -> int:
    tracks = await client.tracks(" ".join(args.query) or None)
    for track in tracks:
        fields = (
            track["id"],
            track["artist"] or "",
            track["album"] or "",
            track["track_no"] or "",
            track["title"] or "",
            duration_text(track["duration_seconds"]),
        )
        print("\t".join(str(field) for field in fields))
    if not tracks:
        print("auralis: no track matches", file=sys.stderr)
        return 1
    return 0


async def _fetch(client: AuralisClient, args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from auralis_tui.fetch import fetch_track

    with Progress(
        TextColumn(f"track {args.track_id}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("fetch", total=None)
        path = await fetch_track(
            client,
            args.track_id,
            args.output,
            preset=args.preset,
            intensity=args.intensity,
            on_chunk=lambda done, total: bar.update(task, completed=done, total=total),
        )
    print(path)
    return 0


async def _play(client: AuralisClient, args: argparse.Namespace) -> int:
    from auralis_tui.engine.outputs import SoundDeviceOutput
    from auralis_tui.engine.player import PlaybackSettings, Player

    if len(args.what) == 1 and args.what[0].isdigit():
        ids = [int(args.what[0])]
    else:
        ids = [track["id"] for track in await client.tracks(" ".join(args.what))]
        if not ids:
            print("auralis: no track matches", file=sys.stderr)
            return 1
    output = SoundDeviceOutput(_device(args.device))
    player = Player(
        client,
        output,
        crossfade_s=args.crossfade,
        settings=PlaybackSettings(args.preset, args.intensity),
    )
    print(f"auralis: playing {len(ids)} track{'s' * (len(ids) != 1)}", file=sys.stderr)
    try:
        report = await player.play(ids, start_s=args.start)
        await player.drain()
        await asyncio.sleep(0.2)  # let the device play out its last block
    finally:
        output.stop()
    seconds = report.frames_played / max(1, (await client.track(ids[0]))["sample_rate_hz"])
    print(f"auralis: played {seconds:.1f} s, {report.underruns} underruns", file=sys.stderr)
    return 0


def _device(name: str | None) -> str | int | None:
    return int(name) if name and name.isdigit() else name


def _tui(args: argparse.Namespace) -> int:
    """Check the server answers (one line if not), then hand the terminal to Textual."""
    from auralis_tui.api import PATIENT_RETRY_DELAYS_S
    from auralis_tui.app.app import AuralisApp
    from auralis_tui.engine.outputs import SoundDeviceOutput, require_portaudio
    from auralis_tui.engine.player import PlaybackSettings
    from auralis_tui.engine.session import Session

    settings = load_client_settings(args.server, args.token)

    async def check() -> None:
        async with AuralisClient(settings.server, settings.token) as client:
            await client.get_json("/api/tracks", limit=1)

    asyncio.run(check())
    require_portaudio()
    client = AuralisClient(settings.server, settings.token, retry_delays_s=PATIENT_RETRY_DELAYS_S)
    session = Session(
        client,
        lambda: SoundDeviceOutput(_device(args.device)),
        settings=PlaybackSettings(args.preset, args.intensity),
        crossfade_s=args.crossfade,
    )
    AuralisApp(client, session).run()
    return 0


async def _run(args: argparse.Namespace) -> int:
    if args.command == "devices":
        from auralis_tui.engine.outputs import list_devices

        print("\n".join(list_devices()))
        return 0
    settings = load_client_settings(args.server, args.token)
    async with AuralisClient(settings.server, settings.token) as client:
        if args.command == "ls":
            return await _ls(client, args)
        if args.command == "play":
            return await _play(client, args)
        return await _fetch(client, args)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command is None:
            return _tui(args)
        return asyncio.run(_run(args))
    except ClientError as exc:
        print(f"auralis: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
