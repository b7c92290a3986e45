"""M3U8 reading, writing and matching: what other players write is understood, and what we
write comes back as the same tracks in the same order."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auralis_server.library.m3u8 import import_playlist, match_entries, read_entries, write_m3u8
from auralis_server.library.models import Playlist, PlaylistEntry, Track
from auralis_server.library.playlists import playlist_tracks

_serial = itertools.count()


def _track(path: Path | str, **tags: object) -> Track:
    """A library row at ``path``; matching reads paths only, so no file is needed."""
    return Track.create(path=str(path), size=next(_serial), mtime_ns=0, **tags)


def test_comments_blank_lines_crlf_and_a_bom_are_skipped() -> None:
    text = "\ufeff#EXTM3U\r\n\r\n#EXTINF:12,A - B\r\na.flac\r\n  \r\n# note\r\nsub/b.flac\r\n"
    assert read_entries(text.encode()) == ["a.flac", "sub/b.flac"]


def test_a_file_that_is_not_utf8_is_read_as_latin1() -> None:
    assert read_entries("#EXTM3U\nCafé/Ólé.mp3\n".encode("latin-1")) == ["Café/Ólé.mp3"]


def test_entries_match_in_every_form_players_write(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    inside = _track(music / "Ålbum" / "01 one.flac")
    beside = _track(tmp_path / "lists" / "near.flac")
    outside = _track("/elsewhere/two songs.flac")
    entries = [
        "Ålbum/01 one.flac",  # relative to the music folder
        "Ålbum\\01 one.flac",  # Windows separators
        "  Ålbum/01 one.flac  ",  # stray spaces
        str(music / "Ålbum" / "01 one.flac"),  # absolute
        "file://" + quote(str(music / "Ålbum" / "01 one.flac")),  # a file URL
        "file:///elsewhere/two%20songs.flac",
        "near.flac",  # relative to the playlist file
        "missing.flac",
        "/elsewhere/missing.flac",
    ]
    found, missing = match_entries(entries, [music], tmp_path / "lists")
    assert found == [inside.id] * 5 + [outside.id, beside.id]
    assert missing == entries[-2:]


def test_a_second_music_folder_is_searched_too(db: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    track = _track(second / "x.flac")
    assert match_entries(["x.flac"], [first, second], tmp_path) == ([track.id], [])


def test_the_export_names_tracks_with_their_tags(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    tracks = [
        _track(music / "a.flac", title="Song", artist="Björk", duration=181.6),
        _track(music / "sub" / "b.flac", title="Only title", duration=3.2),
        _track(music / "c.flac"),  # untagged and unread: the file's name, length unknown
        _track("/other/d.flac", title="Line\nbreak", artist="X"),
    ]
    assert write_m3u8(tracks, [music]).splitlines() == [
        "#EXTM3U",
        "#EXTINF:182,Björk - Song",
        "a.flac",
        "#EXTINF:3,Only title",
        "sub/b.flac",
        "#EXTINF:-1,c",
        "c.flac",
        "#EXTINF:-1,X - Line break",
        "/other/d.flac",
    ]


# Any name a Linux file may have: line breaks, separators of other systems, comment marks.
_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1
).filter(lambda name: name not in (".", ".."))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(paths=st.lists(st.lists(_names, min_size=1, max_size=3), min_size=1, max_size=6))
def test_what_is_written_is_read_back_as_the_same_tracks(
    db: Path, tmp_path: Path, paths: list[list[str]]
) -> None:
    PlaylistEntry.delete().execute()
    Track.delete().execute()
    music = tmp_path / "music"
    by_path = {os.path.join(music, *parts): None for parts in paths}
    tracks = [_track(path) for path in by_path]
    order = [*tracks, tracks[0]]
    entries = read_entries(write_m3u8(order, [music]).encode())
    assert match_entries(entries, [music], tmp_path) == ([t.id for t in order], [])


def test_an_export_imports_on_a_second_library_with_the_music_elsewhere(
    db: Path, tmp_path: Path
) -> None:
    """The same files under another folder (another machine): the same tracks, in order."""
    here, there = tmp_path / "here", tmp_path / "there"
    names = ["b/2.flac", "a/1.flac", "#hash.flac", " lead.flac", "b/2.flac"]
    for name in dict.fromkeys(names):
        _track(here / name)
    originals = [Track.get(Track.path == str(here / name)) for name in names]
    data = write_m3u8(originals, [here]).encode()
    for name in dict.fromkeys(names):
        _track(there / name)
    imported = import_playlist(data, "copy", [there, tmp_path / "nowhere"], tmp_path)
    assert imported.missing == [] and imported.playlist is not None
    assert [t.path for t in playlist_tracks(imported.playlist)] == [
        str(there / name) for name in names
    ]


def test_an_import_keeps_what_it_finds_and_reports_the_rest(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    known = [_track(music / f"{n}.flac") for n in range(3)]
    data = b"#EXTM3U\n2.flac\ngone.flac\n0.flac\n/x/gone too.flac\n2.flac\n"
    imported = import_playlist(data, "partial", [music], tmp_path)
    assert imported.missing == ["gone.flac", "/x/gone too.flac"]
    assert imported.playlist is not None
    assert [t.id for t in playlist_tracks(imported.playlist)] == [
        known[2].id,
        known[0].id,
        known[2].id,
    ]


def test_an_import_that_finds_nothing_creates_nothing(db: Path, tmp_path: Path) -> None:
    imported = import_playlist(b"gone.flac\n", "nothing", [tmp_path], tmp_path)
    assert (imported.playlist, imported.missing) == (None, ["gone.flac"])
    assert Playlist.select().count() == 0
