"""Where `auralis fetch` writes: refused destinations are one line, files get normal modes."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import soundfile

from auralis_server.audio.track import TrackAudio
from auralis_server.streaming.renderer import IdentityRenderer, RenderSettings
from shared.wire import Samples
from tests.conftest import LiveServer
from tests.server.conftest import Library
from tests.tui.cli_run import AURALIS, ROOT, auralis


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


class _GatedRenderer(IdentityRenderer):
    """Chunk 0 at once; later chunks wait for the test, so a fetch is caught mid-write."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    def render(self, audio: TrackAudio, chunk_index: int, plan: RenderSettings) -> Samples:
        if chunk_index > 0:
            self.gate.wait(60)
        return super().render(audio, chunk_index, plan)


def test_a_fetch_stopped_by_sigterm_leaves_no_partial_file(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    renderer = _GatedRenderer()
    server = live_server(library.app(renderer))
    out = tmp_path / "out" / "song.flac"
    out.parent.mkdir()
    fetch = subprocess.Popen(
        [
            *AURALIS,
            "--server",
            server.url,
            "fetch",
            str(library.track_id("song.wav")),
            "-o",
            str(out),
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(out.parent.glob(".*.part")) and time.monotonic() < deadline:
            time.sleep(0.02)  # polling a file another process creates
        assert list(out.parent.glob(".*.part")), "the fetch never started writing"
        fetch.send_signal(signal.SIGTERM)
        _, stderr = fetch.communicate(timeout=60)
    finally:
        renderer.gate.set()
        fetch.kill()
    assert fetch.returncode == 130 and "Traceback" not in stderr, stderr
    assert list(out.parent.iterdir()) == []
