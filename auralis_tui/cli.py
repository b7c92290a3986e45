"""`auralis`: the terminal client. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.config import load_client_settings
from shared.stream_params import PRESETS, parse_intensity


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auralis", description="The Auralis terminal client.")
    parser.add_argument(
        "--server", help="server URL (default $AURALIS_SERVER, client.toml, or loopback)"
    )
    parser.add_argument("--token", help="bearer token (default $AURALIS_TOKEN)")
    commands = parser.add_subparsers(dest="command")
    listing = commands.add_parser("ls", help="list tracks matching QUERY (tab-separated)")
    listing.add_argument("query", nargs="*")
    play = commands.add_parser(
        "play", help="play tracks without the TUI: an id, or every match of QUERY"
    )
    play.add_argument("what", nargs="+", metavar="ID|QUERY")
    play.add_argument("--device", help="output device name or index (see `auralis devices`)")
    play.add_argument("--preset", choices=PRESETS, default="adaptive")
    play.add_argument("--intensity", type=_intensity, default=1.0)
    play.add_argument(
        "--crossfade",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="equal-power crossfade between tracks (default: gapless)",
    )
    play.add_argument("--start", type=float, default=0.0, metavar="SECONDS", help="start offset")
    commands.add_parser("devices", help="list audio output devices")
    fetch = commands.add_parser("fetch", help="write a mastered track to a .wav or .flac file")
    fetch.add_argument("track_id", type=int, metavar="ID")
    fetch.add_argument("-o", "--output", type=Path, required=True)
    fetch.add_argument("--preset", choices=PRESETS, default="adaptive")
    fetch.add_argument("--intensity", type=_intensity, default=1.0)
    return parser


def _intensity(text: str) -> float:
    try:
        return parse_intensity(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


async def _ls(client: AuralisClient, args: argparse.Namespace) -> int:
    tracks = await client.tracks(" ".join(args.query) or None)
    for track in tracks:
        fields = (
            track["id"],
            track["artist"] or "",
            track["album"] or "",
            track["track_no"] or "",
            track["title"] or "",
            _duration(track["duration_seconds"]),
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
    device = int(args.device) if args.device and args.device.isdigit() else args.device
    output = SoundDeviceOutput(device)
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
    if args.command is None:
        print(
            "auralis: the terminal UI is not built yet; `auralis play`, `ls`, `fetch` and `devices` work",
            file=sys.stderr,
        )
        return 2
    try:
        return asyncio.run(_run(args))
    except ClientError as exc:
        print(f"auralis: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
