"""`auralis-server playlist export | import`: M3U8 files out of one library and into another."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from auralis_server.cli import main
from auralis_server.library.models import Track, close_database, open_database
from auralis_server.library.playlists import get_playlist, playlist_tracks
from auralis_server.library.scanner import Scanner
from tests.server.conftest import Library

ROOT = Path(__file__).resolve().parents[3]


def _command(library: Library, *args: str) -> list[str]:
    """``auralis-server playlist ARGS`` on the test library."""
    data_dir, music = str(library.settings.data_dir), str(library.music)
    return ["--data-dir", data_dir, "playlist", *args, "--music", music]


def _playlist(client: TestClient, library: Library, names: list[str], name: str = "mix") -> int:
    ids = [library.track_id(n) for n in names]
    response = client.post("/api/playlists", json={"name": name, "track_ids": ids})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _tracks_of(data_dir: Path, playlist_id: int) -> list[str]:
    open_database(None, data_dir / "auralis.db")
    try:
        return [t.path for t in playlist_tracks(get_playlist(playlist_id))]
    finally:
        close_database()


def _one_line_error(captured: pytest.CaptureFixture[str], *, contains: str) -> None:
    err = captured.readouterr().err
    assert err.count("\n") == 1 and err.startswith("auralis-server: "), err
    assert contains in err, err


def test_export_then_import_on_a_second_server_gives_the_same_tracks(
    client: TestClient, library: Library, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    names = ["mono.wav", "song.wav", "hi.flac", "mono.wav"]
    playlist_id = _playlist(client, library, names, name="Ünïcode mix")
    over_http = client.get(f"/api/playlists/{playlist_id}/export.m3u8").content
    exported = tmp_path / "exported.m3u8"
    assert main(_command(library, "export", str(playlist_id), "-o", str(exported))) == 0
    assert exported.read_bytes() == over_http  # one writer for the route and the command
    assert main(_command(library, "export", str(playlist_id))) == 0
    assert capsysbinary.readouterr().out == over_http

    copy = tmp_path / "elsewhere" / "Music"  # the second machine's folder: another path
    shutil.copytree(library.music, copy, ignore=shutil.ignore_patterns("bad"))
    second = tmp_path / "second"
    open_database(None, second / "auralis.db")
    assert Scanner([copy], workers=1).run().state == "finished"
    close_database()
    imported = main(
        ["--data-dir", str(second), "playlist", "import", str(exported), "--music", str(copy)]
    )
    assert imported == 0
    out = capsysbinary.readouterr().out.decode()
    assert out.startswith("playlist ") and "(exported): 4 tracks, 0 not found" in out
    new_id = int(out.split()[1])
    assert _tracks_of(second, new_id) == [str(copy / name) for name in names]


def test_an_import_reports_missing_entries_and_keeps_the_rest(
    library: Library, tmp_path: Path
) -> None:
    """A real process: the command is registered and prints what it could not find."""
    listing = tmp_path / "old player.m3u"
    listing.write_bytes(
        b"\xef\xbb\xbf#EXTM3U\r\n#EXTINF:25,x - song\r\n"
        + str(library.music / "song.wav").encode()
        + b"\r\n\r\nmissing/one.flac\r\nfile:///gone/two.flac\r\nmono.wav\r\n"
    )
    close_database()  # the process opens the library itself
    result = subprocess.run(
        [sys.executable, "-m", "auralis_server.cli"]
        + _command(library, "import", str(listing), "--name", "rescued"),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["not found: missing/one.flac", "not found: file:///gone/two.flac"]
    assert lines[2].endswith("(rescued): 2 tracks, 2 not found")
    playlist_id = int(lines[2].split()[1])
    expected = [str(library.music / "song.wav"), str(library.music / "mono.wav")]
    assert _tracks_of(library.settings.data_dir, playlist_id) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"", "holds no playlist entries"),
        (b"\xef\xbb\xbf#EXTM3U\n\n#EXTINF:1,x\n", "holds no playlist entries"),
        (b"nowhere.flac\n", "none of its 1 entries is in the library"),
    ],
)
def test_an_unusable_file_is_one_line_and_exit_2(
    library: Library,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    message: str,
) -> None:
    listing = tmp_path / "list.m3u8"
    if content is not None:
        listing.write_bytes(content)
    assert main(_command(library, "import", str(listing))) == 2
    _one_line_error(capsys, contains=message)
    open_database(None, library.settings.sqlite_path)
    assert Track.select().count() == 8  # the library is untouched


def test_the_default_name_is_the_file_stem_and_must_be_free(
    client: TestClient, library: Library, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _playlist(client, library, ["song.wav"], name="taken")
    listing = tmp_path / "taken.m3u8"
    listing.write_text("song.wav\n")
    assert main(_command(library, "import", str(listing))) == 2
    _one_line_error(capsys, contains="a playlist named 'taken' already exists")
    assert main(_command(library, "import", str(listing), "--name", "free")) == 0
    assert "(free): 1 tracks" in capsys.readouterr().out


def test_exporting_an_unknown_playlist_is_one_line_and_exit_2(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_command(library, "export", "77")) == 2
    _one_line_error(capsys, contains="no playlist with id 77")
