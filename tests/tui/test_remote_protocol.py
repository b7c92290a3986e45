"""`auralis ctl` without a player: its words, the JSON lines, the socket's place, its failures.

The words and the lines are checked against what cmus-remote users type (``seek +5``,
``seek 1:30``) and what a script may send down the socket by hand; the command itself is run
as a process, as a user runs it, where no player listens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from auralis_tui.remote.client import queue_lines, status_lines
from auralis_tui.remote.paths import UnsafeFolder, prepare_folder, socket_path
from auralis_tui.remote.protocol import (
    USAGE,
    ProtocolError,
    Request,
    UsageError,
    decode_answer,
    decode_request,
    parse_seek,
    parse_words,
)
from tests.tui.cli_run import ROOT, auralis


@pytest.mark.parametrize(
    ("text", "seconds", "relative"),
    [
        ("40", 40.0, False),
        ("+5", 5.0, True),
        ("-5", -5.0, True),
        ("1:30", 90.0, False),
        ("-0:30", -30.0, True),
        ("+2.5", 2.5, True),
        ("0", 0.0, False),
    ],
)
def test_seek_positions_read_as_cmus_remote_reads_them(
    text: str, seconds: float, relative: bool
) -> None:
    assert parse_seek(text) == (seconds, relative)


@pytest.mark.parametrize("text", ["", "+", "abc", "1:75", "--5", "5s", "1:2:3", "nan", "inf"])
def test_a_seek_position_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_seek(text)


def test_words_make_the_request_the_socket_carries() -> None:
    assert parse_words(["pause"]) == (Request("pause"), False)
    assert parse_words(["--json", "status"]) == (Request("status"), True)
    assert parse_words(["queue", "--json"]) == (Request("queue"), True)
    assert parse_words(["seek", "-5"]) == (Request("seek", -5.0, True), False)
    assert parse_words(["seek", "40"]) == (Request("seek", 40.0, False), False)
    for words in (["next"], ["prev"], ["toggle"], ["resume"]):
        assert parse_words(words) == (Request(words[0]), False)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ([], "a command is needed"),
        (["--json"], "a command is needed"),
        (["stop"], "unknown command 'stop'"),
        (["seek"], "seek takes one position"),
        (["seek", "1", "2"], "seek takes one position"),
        (["pause", "now"], "pause takes no argument"),
    ],
)
def test_words_that_make_no_request_say_why(words: list[str], says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_words(words)


def test_every_request_survives_its_line() -> None:
    requests = [Request(name) for name in ("pause", "resume", "toggle", "next", "prev")]
    requests += [
        Request("status"),
        Request("queue"),
        Request("seek", 40.0),
        Request("seek", -5.0, True),
    ]
    for request in requests:
        line = request.encode()
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert decode_request(line) == request


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"status\n", "not a JSON line"),
        (b"\xff\xfe\n", "not a JSON line"),
        (b"[1, 2]\n", "a JSON object"),
        (b'{"command": "stop"}\n', "unknown command 'stop'"),
        (b"{}\n", "unknown command None"),
        (b'{"command": "seek"}\n', "needs a number"),
        (b'{"command": "seek", "seconds": "40"}\n', "needs a number"),
        (b'{"command": "seek", "seconds": true}\n', "needs a number"),
        (b'{"command": "seek", "seconds": NaN}\n', "finite"),
        (b'{"command": "seek", "seconds": 5, "relative": "yes"}\n', "true/false"),
        (b'{"command": "seek", "seconds": -5}\n', "before the start"),
    ],
)
def test_a_line_that_is_no_request_is_refused_with_the_reason(line: bytes, says: str) -> None:
    with pytest.raises(ProtocolError, match=says):
        decode_request(line)


def test_an_answer_must_say_whether_it_worked() -> None:
    assert decode_answer(b'{"ok": false, "error": "nothing is playing"}\n')["ok"] is False
    for line in (b"ok\n", b'{"status": {}}\n', b'{"ok": "yes"}\n'):
        with pytest.raises(ProtocolError):
            decode_answer(line)


def test_the_socket_is_in_the_runtime_folder_else_a_private_one_in_tmp(tmp_path: Path) -> None:
    runtime = str(tmp_path / "run")
    assert socket_path({"XDG_RUNTIME_DIR": runtime}) == Path(runtime) / "auralis.sock"
    fallback = tmp_path / f"auralis-{os.getuid()}" / "auralis.sock"
    assert socket_path({"TMPDIR": str(tmp_path)}) == fallback
    # A relative XDG_RUNTIME_DIR is to be ignored (XDG Base Directory spec).
    assert socket_path({"XDG_RUNTIME_DIR": "run", "TMPDIR": str(tmp_path)}) == fallback


def test_the_fallback_folder_is_made_private_and_refused_when_open(tmp_path: Path) -> None:
    environ = {"TMPDIR": str(tmp_path)}
    path = socket_path(environ)
    prepare_folder(path, environ)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    path.parent.chmod(0o755)
    with pytest.raises(UnsafeFolder, match="open to other users"):
        prepare_folder(path, environ)


STATUS = {
    "state": "paused",
    "track": {
        "id": 7,
        "artist": "Some\tArtist",
        "title": "Night Drive",
        "album": "Demo",
        "path": "/m/x.flac",
        "duration_s": 24.0,
    },
    "queue_index": 1,
    "queue_length": 3,
    "position_s": 12.345,
    "duration_s": 24.0,
    "preset": "warm",
    "intensity": 0.6,
    "chosen": {"preset": "bright", "intensity": 0.6},
    "plan": {"input_lufs": -20.04, "output_lufs_estimate": -14.0, "region": "quiet_dynamic"},
    "volume": 0.85,
    "buffered_chunks": 2.5,
    "underruns": 0,
    "error": None,
}


def test_status_prints_one_field_a_line_as_cmus_remote_does() -> None:
    assert status_lines(STATUS) == [
        "state paused",
        "track 7 Some Artist – Night Drive",  # a tab in a tag is a space: one line per field
        "album Demo",
        "queue 2/3",
        "position 12.3",
        "duration 24.0",
        "preset warm 0.6",
        "next_chunk bright 0.6",
        "plan -20.0 → -14.0 LUFS · quiet-dynamic",
        "volume 85%",
        "buffer 2.5 chunks",
        "underruns 0",
    ]
    idle = {**STATUS, "state": "idle", "track": None, "queue_index": None, "plan": None}
    idle["chosen"] = {"preset": "warm", "intensity": 0.6}
    assert status_lines(idle)[:3] == ["state idle", "track none", "preset warm 0.6"]


def test_the_queue_marks_the_entry_playing() -> None:
    untagged = {"id": 9, "artist": None, "title": None, "album": None, "path": "/m/b.wav"}
    queue = {
        "current": 1,
        "tracks": [
            {**STATUS["track"], "index": 0},  # type: ignore[dict-item]
            {**untagged, "index": 1, "duration_s": 61.0},
        ],
    }
    assert queue_lines(queue) == [
        "  1  7  Some Artist – Night Drive  0:24",
        "▶ 2  9  b.wav  1:01",
    ]


def test_ctl_with_no_player_is_one_line_and_status_1(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    environ = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    for words in (["status"], ["pause"], ["--json", "queue"], ["seek", "-5"]):
        result = auralis("ctl", *words, env=environ)
        assert result.returncode == 1, words
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert result.stderr == (
            f"auralis: no player is running (nothing listens on {runtime / 'auralis.sock'})\n"
        )


def test_ctl_against_a_socket_left_by_a_dead_player_is_no_player(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(runtime / "auralis.sock"))
    left.close()  # the file stays, nobody accepts on it: a crashed player's socket
    result = auralis("ctl", "status", env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert result.returncode == 1
    assert (
        result.stderr.startswith("auralis: no player is running") and result.stderr.count("\n") == 1
    )


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ([], "a command is needed"),
        (["jump"], "unknown command 'jump'"),
        (["seek", "x"], "seek takes"),
    ],
)
def test_bad_words_are_one_line_and_the_usage(words: list[str], says: str) -> None:
    result = auralis("ctl", *words)
    assert result.returncode == 2 and result.stdout == ""
    reason, usage = result.stderr.splitlines()
    assert reason.startswith("auralis ctl: ") and says in reason
    assert usage == USAGE


def test_help_lists_every_command() -> None:
    result = auralis("ctl", "--help")
    assert result.returncode == 0
    for word in (
        "pause",
        "resume",
        "toggle",
        "next",
        "prev",
        "seek +5",
        "seek 40",
        "status",
        "queue",
        "--json",
    ):
        assert word in result.stdout


def test_ctl_answers_without_loading_the_clients_http_and_audio_modules(tmp_path: Path) -> None:
    """A remote bound to a media key must answer at once: httpx and numpy take half a second."""
    probe = (
        "import sys; from auralis_tui.cli import main; status = main(['ctl', 'status']);"
        " print(status, sorted({'httpx', 'numpy', 'textual'} & set(sys.modules)))"
    )
    environ = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=environ, cwd=ROOT
    )
    assert result.stdout == "1 []\n", result.stderr
