"""C-level writes to descriptor 2 go to the client log; Python's stderr keeps the terminal."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_c_diagnostics_go_to_the_log_and_python_output_stays_on_the_terminal(
    tmp_path: Path,
) -> None:
    log = tmp_path / "state" / "client.log"
    child = textwrap.dedent(
        f"""
        import ctypes, sys
        from pathlib import Path
        from auralis_tui.native_stderr import divert_native_stderr
        assert divert_native_stderr(Path({str(log)!r})) is not None
        libc = ctypes.CDLL(None)
        libc.write(2, b"ALSA lib pcm.c: underrun occurred\\n", 34)
        print("auralis: one clear line", file=sys.stderr)
        sys.__stderr__.write("what Textual draws\\n")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "auralis: one clear line\nwhat Textual draws\n"
    assert log.read_text() == "ALSA lib pcm.c: underrun occurred\n"


def test_an_unwritable_log_leaves_stderr_alone(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    child = textwrap.dedent(
        f"""
        import ctypes
        from pathlib import Path
        from auralis_tui.native_stderr import divert_native_stderr
        assert divert_native_stderr(Path({str(blocker / "client.log")!r})) is None
        ctypes.CDLL(None).write(2, b"still here\\n", 11)
        """
    )
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "still here\n"
