"""Where `auralis fetch` writes: refused destinations are one line, files get normal modes."""

from __future__ import annotations

import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import soundfile

from tests.conftest import LiveServer
from tests.server.conftest import Library
from tests.tui.cli_run import auralis


def _one_line_failure(stderr: str, start: str) -> None:
    assert stderr.startswith(start), stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's /proc")
def test_an_unwritable_destination_is_one_line_and_a_failure(
    library: Library, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(library.app())
    result = auralis(
        "--server", server.url, "fetch", str(library.track_id("mono.wav")), "-o", "/proc/x.flac"
    )
    assert result.returncode == 1
    _one_line_failure(result.stderr, "auralis: cannot write /proc/x.flac: ")
    assert not Path("/proc/x.flac").exists()


def test_a_missing_folder_is_refused_not_created(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(library.app())
    out = tmp_path / "no" / "such" / "x.flac"
    result = auralis(
        "--server", server.url, "fetch", str(library.track_id("mono.wav")), "-o", str(out)
    )
    assert result.returncode == 1
    _one_line_failure(result.stderr, f"auralis: cannot write {out}: no such directory")
    assert not (tmp_path / "no").exists()

    a_file = tmp_path / "file"
    a_file.write_bytes(b"")
    result = auralis("--server", server.url, "fetch", "1", "-o", str(a_file / "x.wav"))
    assert result.returncode == 1
    _one_line_failure(result.stderr, f"auralis: cannot write {a_file / 'x.wav'}: not a directory")


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_the_written_file_has_the_mode_the_umask_gives(
    library: Library,
    live_server: Callable[..., LiveServer],
    tmp_path: Path,
    umask: int,
    mode: int,
) -> None:
    server = live_server(library.app())
    out = tmp_path / "out" / "mono.flac"
    out.parent.mkdir()
    track_id = str(library.track_id("mono.wav"))
    result = auralis("--server", server.url, "fetch", track_id, "-o", str(out), umask=umask)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert [path.name for path in out.parent.iterdir()] == ["mono.flac"]  # no temporary left
    assert soundfile.info(out).frames == len(library.samples["mono.wav"])
