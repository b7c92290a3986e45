"""The folded search column: the scanner fills it for new and changed files, and queries
fold the same way, so any case and accent of a word finds the track."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mutagen.flac import FLAC

from auralis_server.library.folding import fold, query_words
from auralis_server.library.models import Track
from auralis_server.library.queries import search_tracks
from auralis_server.library.scanner import Scanner
from tests.conftest import write_audio


def _titles(query: str) -> list[str]:
    _, tracks, _, _ = search_tracks({"q": query, "limit": "1000"})
    return sorted(track.title for track in tracks)


def _tag(path: Path, **tags: str) -> None:
    audio = FLAC(path)
    audio.update(tags)
    audio.save()


def test_the_scanner_fills_the_search_text_of_new_and_changed_tracks(
    db: Path, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    song = music / "Ísland" / "song.flac"
    write_audio(song, 0.5, 8000, subtype="PCM_16", seed=4)
    _tag(song, title="Jóga", artist="Björk", album="Homogenic")
    write_audio(music / "Straße.wav", 0.5, 8000, seed=5)  # untagged: its file name counts
    Scanner([music], workers=1).run()
    assert _titles("BJÖRK") == _titles("bjork") == ["Jóga"]
    assert _titles("island joga") == ["Jóga"]  # the folder is part of the path
    assert _titles("STRASSE") == ["Straße"]  # untagged: titled and found by its name

    _tag(song, title="Hoppípolla", artist="Sigur Rós", album="Takk…")
    os.utime(song, ns=(1, 2_000_000_000))  # a changed file: size or mtime differs
    assert Scanner([music], workers=1).run().updated == 1
    assert _titles("bjork") == []
    assert _titles("SIGUR ROS takk") == ["Hoppípolla"]
    assert Track.get(Track.path == str(song)).search == (
        f"hoppipolla\nsigur ros\ntakk...\n{fold(str(song))}"
    )


def test_an_unreadable_file_is_found_by_its_name(db: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    (music / "Ærøskøbing.flac").write_bytes(b"not audio at all")
    Scanner([music], workers=1).run()
    assert _titles("AEROSKOBING") == ["Ærøskøbing"]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("BJÖRK", "bjork"),
        ("Ålbum", "album"),
        ("Straße", "strasse"),
        ("Røyksopp", "royksopp"),
        ("ﬁne Ｆｕｌｌ", "fine full"),  # compatibility forms
        ("Ágætis Œuvre", "agaetis oeuvre"),
        ("東京 ソング", "東京 ソング"),  # no case, no marks: unchanged
    ],
)
def test_folding_removes_case_and_accents(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert query_words(text) == folded.split()
