"""M3U8 in and out of the library: one reader and one writer for the export route and the
``auralis-server playlist`` command.

An export names each track by its path relative to the music folder holding it (``/``
separators), so the file works on another machine with the same music at another path; a
track outside every music folder keeps its absolute path. An import matches each entry to a
track by path: relative to a music folder (or to the file's own folder), absolute, or a
``file://`` URL, with ``\\`` separators allowed; ``#`` lines (``#EXTM3U``, ``#EXTINF``) and
blank lines are skipped. A file that is not UTF-8 is read as Latin-1, as plain ``.m3u``
files often are.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit

from auralis_server.library.errors import InvalidQuery
from auralis_server.library.models import Playlist, Track
from auralis_server.library.playlists import create_playlist, get_playlist, playlist_tracks

MEDIA_TYPE = "audio/x-mpegurl; charset=utf-8"
_BATCH = 500  # paths per lookup, under SQLite's old 999-parameter limit


def _roots(music_dirs: Iterable[Path]) -> list[str]:
    """The music folders as the scanner records them (absolute, not resolved)."""
    return [os.path.abspath(directory) for directory in music_dirs]


def location(path: str, music_dirs: Sequence[Path]) -> str:
    """How an export names the file: relative to the first music folder holding it.

    A name an M3U line cannot hold as it is gets a form the reader maps back: ``./`` before
    one that would read as a comment or a blank line, a ``file://`` URL for one with a line
    break in it.
    """
    if "\n" in path or "\r" in path:
        return "file://" + quote(os.fsencode(path))
    for root in _roots(music_dirs):
        prefix = root.rstrip(os.sep) + os.sep
        if path.startswith(prefix):
            relative = path[len(prefix) :].replace(os.sep, "/")
            return "./" + relative if relative[0] == "#" or relative[0].isspace() else relative
    return path


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_m3u8(tracks: Iterable[Track], music_dirs: Sequence[Path]) -> str:
    """Extended M3U: ``#EXTINF:<seconds>,<artist> - <title>`` then the location, per track."""
    lines = ["#EXTM3U"]
    for track in tracks:
        seconds = round(track.duration) if track.duration is not None else -1
        title = _one_line(track.title or Path(track.path).stem)
        shown = f"{_one_line(track.artist)} - {title}" if track.artist else title
        lines += [f"#EXTINF:{seconds},{shown}", location(track.path, music_dirs)]
    return "\n".join(lines) + "\n"


def export_playlist(playlist_id: int, music_dirs: Sequence[Path]) -> tuple[Playlist, str]:
    playlist = get_playlist(playlist_id)
    return playlist, write_m3u8(playlist_tracks(playlist), music_dirs)


def read_entries(data: bytes) -> list[str]:
    """The entries of an M3U/M3U8 file in order: every line that is not blank or a ``#`` line.

    Lines end at ``\n`` (``\r\n`` too) only, so a name holding another Unicode line
    separator survives; spaces around an entry are kept for the matcher to try both ways.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _candidates(entry: str, roots: Sequence[str], base_dir: Path) -> list[str]:
    """The library paths an entry may mean, most likely first: as written, then trimmed,
    then with ``\\`` read as a separator; relative ones in each music folder, then beside
    the playlist file."""
    forms: list[str] = []
    for form in (entry, entry.strip()):
        if form.lower().startswith("file:"):
            form = os.fsdecode(unquote_to_bytes(urlsplit(form).path))
        forms += [form, form.replace("\\", "/")]
    places = [*roots, os.path.abspath(base_dir)]
    paths: list[str] = []
    for form in dict.fromkeys(forms):
        if posixpath.isabs(form):
            paths.append(os.path.normpath(form))
        else:
            paths += [os.path.normpath(os.path.join(place, form)) for place in places]
    return list(dict.fromkeys(paths))


def match_entries(
    entries: Sequence[str], music_dirs: Sequence[Path], base_dir: Path
) -> tuple[list[int], list[str]]:
    """The ids of the tracks the entries name, in order, and the entries naming none."""
    roots = _roots(music_dirs)
    candidates = [_candidates(entry, roots, base_dir) for entry in entries]
    wanted = sorted({path for paths in candidates for path in paths})
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        ids.update(Track.select(Track.path, Track.id).where(Track.path.in_(batch)).tuples())
    found: list[int] = []
    missing: list[str] = []
    for entry, paths in zip(entries, candidates, strict=True):
        track_id = next((ids[path] for path in paths if path in ids), None)
        if track_id is None:
            missing.append(entry)
        else:
            found.append(track_id)
    return found, missing


@dataclass(frozen=True)
class Imported:
    """What an import made: the playlist (None when no entry was found) and the entries it
    could not find."""

    playlist: Playlist | None
    track_count: int
    missing: list[str]


def import_playlist(data: bytes, name: str, music_dirs: Sequence[Path], base_dir: Path) -> Imported:
    """A new playlist of the entries found in the library; `InvalidQuery` when there are none."""
    entries = read_entries(data)
    if not entries:
        raise InvalidQuery("holds no playlist entries")
    track_ids, missing = match_entries(entries, music_dirs, base_dir)
    if not track_ids:
        return Imported(None, 0, missing)
    return Imported(create_playlist(name, track_ids), len(track_ids), missing)
