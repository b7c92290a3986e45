"""`auralis ls` and `auralis fetch` as a user runs them, against a real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile

from auralis_server.audio.source import read_frames
from auralis_server.config import Settings
from auralis_server.library.demo import write_demo_library
from auralis_server.library.models import Track
from auralis_server.mastering import chain
from auralis_server.streaming.plan_source import inputs_from_samples
from tests.conftest import LiveServer
from tests.server.conftest import Library
from tests.tui.cli_run import auralis
from tests.tui.recorder import library_server, rendered


def test_fetch_writes_the_whole_track_render(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(library.app())
    track = Track.get(Track.path == str(library.music / "song.wav"))
    out = tmp_path / "song-warm.wav"
    result = auralis(
        "--server",
        server.url,
        "fetch",
        str(track.id),
        "-o",
        str(out),
        "--preset",
        "warm",
        "--intensity",
        "0.7",
    )
    assert result.returncode == 0, result.stderr
    assert "" not in result.stdout.splitlines()  # the progress bar draws on stderr only
    written, rate = soundfile.read(out, always_2d=True)
    decoded = read_frames(Path(track.path), 0, track.total_frames).astype(np.float64)
    expected = chain.render(decoded, inputs_from_samples(decoded, rate).plan("warm", 0.7), rate)
    assert written.shape == expected.shape
    assert np.abs(written - expected).max() < 10 ** (-90 / 20)

    original = tmp_path / "original.flac"
    assert (
        auralis(
            "--server", server.url, "fetch", str(track.id), "-o", str(original), "--intensity", "0"
        ).returncode
        == 0
    )
    np.testing.assert_array_equal(
        soundfile.read(original, dtype="float32", always_2d=True)[0], library.samples["song.wav"]
    )


def test_ls_prints_matching_tracks_for_scripts(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    result = auralis("--server", server.url, "ls", "song")
    assert result.returncode == 0
    (line,) = result.stdout.splitlines()
    assert line.split("\t")[4:] == ["song", "0:25"]
    assert auralis("--server", server.url, "ls", "nothing-like-this").returncode == 1


def test_an_unreachable_server_is_one_line_and_a_failure(tmp_path: Path) -> None:
    result = auralis("--server", "http://127.0.0.1:9", "fetch", "1", "-o", str(tmp_path / "x.wav"))
    assert result.returncode == 1
    assert (
        result.stderr.startswith("auralis: cannot reach http://127.0.0.1:9")
        and "Traceback" not in result.stderr
    )
    assert not list(tmp_path.iterdir())
    bad = auralis("--server", "http://127.0.0.1:9", "fetch", "1", "-o", str(tmp_path / "x.mp3"))
    assert bad.returncode == 1


def test_the_tui_with_an_unreachable_server_is_one_line_and_a_failure() -> None:
    for args in (["--server", "http://127.0.0.1:9"], ["--server", "http://127.0.0.1:9", "ls"]):
        result = auralis(*args)
        assert result.returncode == 1, args
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("auralis: cannot reach http://127.0.0.1:9")
        assert result.stdout == ""  # the terminal was never taken over


def test_an_unknown_output_device_is_one_line_not_a_traceback(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    track_id = library.track_id("song.wav")
    result = auralis("--server", server.url, "play", str(track_id), "--device", "nosuch")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("auralis: ") and "nosuch" in last and "auralis devices" in last


def test_fetch_loudness_album_writes_the_albums_levelling(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> None:
    """`--loudness album` asks for the album's levelling: the file is the server's album-mode
    render of the track, which is not its track-mode render."""
    music = tmp_path / "music"
    write_demo_library(music, seconds_per_track=6.0)
    with library_server(settings_for(music), live_server) as (server, ids):
        track_id = next(iter(ids.values()))
        out = tmp_path / "album.wav"
        result = auralis(
            "--server", server.url, "fetch", str(track_id), "-o", str(out), "--loudness", "album"
        )
        assert result.returncode == 0, result.stderr
        written = soundfile.read(out, dtype="float32", always_2d=True)[0]
        album, _ = rendered(server.url, track_id, loudness="album")
        track, _ = rendered(server.url, track_id, loudness="track")
    assert np.abs(written - album).max() < 10 ** (-90 / 20)
    assert np.abs(written - track).max() > 10 ** (-40 / 20)
