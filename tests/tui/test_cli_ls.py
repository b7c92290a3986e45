"""`auralis ls` in pipelines: one line and six fields per track whatever the tags hold,
and a reader that stops early (`head`) ends it quietly."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import httpx
from mutagen.flac import FLAC

from auralis_server.library.scanner import Scanner
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library
from tests.tui.cli_run import AURALIS, ROOT, auralis


def test_tabs_and_line_breaks_in_tags_keep_one_row_per_track(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    odd = library.music / "odd.flac"
    write_audio(odd, 1.0, subtype="PCM_16", seed=7)
    tags = FLAC(odd)
    tags.update(title="tab\there", artist="two\nlines", album="cr\r\nlf\u2028end", tracknumber="4")
    tags.save()
    Scanner([library.music], workers=1).run()
    server = live_server(library.app())
    tracks = httpx.get(f"{server.url}/api/tracks").json()["tracks"]
    assert any(track["title"] == "tab\there" for track in tracks)  # the server keeps the tag

    result = auralis("--server", server.url, "ls", text=False)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.decode().split("\n")
    assert rows.pop() == ""
    assert len(rows) == len(tracks) == len(result.stdout.decode().splitlines())
    assert all(len(row.split("\t")) == 6 for row in rows), rows
    (odd_row,) = (row.split("\t") for row in rows if "tab" in row)
    assert odd_row[1:5] == ["two lines", "cr  lf end", "4", "tab here"]


def test_a_reader_that_stops_early_ends_ls_quietly(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    with subprocess.Popen(
        [*AURALIS, "--server", server.url, "ls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader is gone before ls writes its first row
        stderr = process.stderr.read()
        status = process.wait(120)
    assert (status, stderr) == (141, b"")
