"""`auralis-server playlist export ID [-o FILE]` and `playlist import FILE [--name NAME]`:
saved playlists as M3U8 files, through the reader and writer the export route uses."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auralis_server.cli.options import CommandError, add_setting_flags, library_opened


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], where: argparse.ArgumentParser
) -> None:
    parser = commands.add_parser(
        "playlist", parents=[where], help="export a saved playlist as M3U8, or import one"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser(
        "export", parents=[where], help="write a playlist as M3U8 (paths relative to the music)"
    )
    export.add_argument("playlist_id", metavar="ID", type=int, help="the playlist's id")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    export.set_defaults(run=run_export)
    load = actions.add_parser(
        "import", parents=[where], help="save an M3U/M3U8 file's tracks as a new playlist"
    )
    load.add_argument("file", type=Path, metavar="FILE.m3u8")
    load.add_argument("--name", help="the playlist's name (default: the file's name)")
    load.set_defaults(run=run_import)
    for command in (export, load):
        add_setting_flags(command, "music_dirs")


def run_export(args: argparse.Namespace) -> int:
    from auralis_server.library.errors import LibraryError
    from auralis_server.library.m3u8 import export_playlist

    with library_opened(args) as settings:
        try:
            _, text = export_playlist(args.playlist_id, settings.effective_music_dirs())
        except LibraryError as exc:
            raise CommandError(str(exc)) from None
    data = text.encode()
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return 0


def run_import(args: argparse.Namespace) -> int:
    from auralis_server.library.errors import LibraryError
    from auralis_server.library.m3u8 import import_playlist

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    name = args.name if args.name is not None else args.file.stem
    with library_opened(args) as settings:
        try:
            imported = import_playlist(
                data, name, settings.effective_music_dirs(), args.file.parent
            )
        except LibraryError as exc:
            raise CommandError(f"{args.file}: {exc}") from None
    for entry in imported.missing:
        print(f"not found: {entry}")
    if imported.playlist is None:
        raise CommandError(
            f"{args.file}: none of its {len(imported.missing)} entries is in the library"
        )
    print(
        f"playlist {imported.playlist.id} ({imported.playlist.name}): "
        f"{imported.track_count} tracks, {len(imported.missing)} not found"
    )
    return 0
