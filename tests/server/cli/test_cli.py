"""`auralis-server` as a user runs it: a real process, its exit codes and its one-line errors."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from auralis_server.cli import build_parser, main
from auralis_server.cli.options import settings_from
from auralis_server.cli.serve import listen_socket
from tests.conftest import write_audio
from tests.server.conftest import ServerProcess
from tests.server.library.bad_files import write_bad_files

ROOT = Path(__file__).resolve().parents[3]


def _cli(*args: str, timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auralis_server.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        **kwargs,
    )  # type: ignore[call-overload]


def test_off_loopback_without_token_refuses_with_one_line() -> None:
    result = _cli("serve", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "refusing to listen on 0.0.0.0 without a token" in result.stderr


def test_a_busy_port_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli(
            "serve", "--port", str(port), "--music", str(tmp_path), "--data-dir", str(tmp_path)
        )
    assert result.returncode == 1
    assert result.stderr.strip().endswith("Address already in use")
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_one_line(tmp_path: Path) -> None:
    result = _cli("serve", "--config", str(tmp_path / "nope.toml"))
    assert (
        result.returncode == 2
        and "does not exist" in result.stderr
        and "Traceback" not in result.stderr
    )
    result = _cli("scan", "--music", str(tmp_path), env={**os.environ, "AURALIS_PORT": "x"})
    assert result.returncode == 2 and "invalid value for port" in result.stderr


def test_first_run_serves_the_demo_library(serve: type[ServerProcess], tmp_path: Path) -> None:
    """What `make run` does on a machine with no music: generate, scan, serve."""
    server = serve(
        "--demo-if-empty", "--data-dir", str(tmp_path / "data"), "--music", str(tmp_path / "Music")
    )
    server.wait_for_scan()
    tracks = httpx.get(f"{server.url}/api/tracks").json()
    assert tracks["total"] == 5
    assert {t["artist"] for t in tracks["tracks"]} == {"Auralis Demo Band"}
    assert all(
        t["duration_seconds"] == pytest.approx(36.0) and t["error"] is None
        for t in tracks["tracks"]
    )
    response = httpx.get(f"{server.url}/api/tracks/{tracks['tracks'][0]['id']}/stream?chunks=0-0")
    assert response.status_code == 206 and response.headers["content-range"] == "chunks 0-0/4"


def test_demo_library_command_writes_tagged_tracks(tmp_path: Path) -> None:
    result = _cli("demo-library", str(tmp_path / "demo"), "--seconds", "4")
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert len(paths) == 5 and all(p.suffix == ".flac" and p.exists() for p in paths)
    scan = _cli("scan", "--music", str(tmp_path / "demo"), "--data-dir", str(tmp_path / "data"))
    assert scan.returncode == 0 and scan.stdout.startswith("5 files: 5 added")  # bar on stderr


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="as an ordinary user test_api covers the unreadable file",
)
def test_permission_denied_file_streams_as_422(serve: type[ServerProcess], tmp_path: Path) -> None:
    music = tmp_path / "music"
    write_bad_files(music)
    write_audio(music / "ok.wav", 1.0)
    server = serve(
        "--music",
        str(music),
        "--data-dir",
        str(tmp_path / "data"),
        prefix=("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"),
    )
    server.wait_for_scan()
    locked = httpx.get(f"{server.url}/api/tracks", params={"q": "locked"}).json()["tracks"][0]
    assert locked["error"] == "permission denied"
    response = httpx.get(f"{server.url}/api/tracks/{locked['id']}/stream")
    assert response.status_code == 422
    assert response.json() == {
        "error": "unreadable_audio",
        "detail": f"track {locked['id']} is not playable: permission denied",
    }
    ok = httpx.get(f"{server.url}/api/tracks", params={"q": "ok"}).json()["tracks"][0]
    assert httpx.get(f"{server.url}/api/tracks/{ok['id']}/stream").status_code == 200


@pytest.mark.parametrize("command", [["serve"], ["scan"], ["fingerprint", "--all"]])
def test_where_options_work_on_either_side_of_the_command(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AURALIS_DATA_DIR", raising=False)
    config = tmp_path / "server.toml"
    config.write_text('data_dir = "/from/file"\n')
    before = build_parser().parse_args(["--config", str(config), *command])
    after = build_parser().parse_args([*command, "--config", str(config)])
    assert settings_from(before).data_dir == settings_from(after).data_dir == Path("/from/file")
    both = build_parser().parse_args(["--data-dir", "/a", *command, "--data-dir", "/b"])
    assert both.data_dir == Path("/b")  # the one nearer the command wins
    assert build_parser().parse_args(["--data-dir", "/a", *command]).data_dir == Path("/a")


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "--host", "0.0.0.0"],
        ["scan", "--fingerprint-workers", "2"],
        ["fingerprint", "--all", "--music", "/m"],
        ["fingerprint", "--all", "--port", "1"],
        ["demo-library", "/tmp/d", "--config", "x.toml"],
        ["--data-dir", "/d", "demo-library", "/tmp/d"],
    ],
)
def test_options_belong_to_the_commands_that_use_them(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_the_config_file_before_the_command_reaches_the_process(tmp_path: Path) -> None:
    result = _cli("--config", str(tmp_path / "nope.toml"), "serve")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_accepted_connections_have_nodelay() -> None:
    """Nagle's algorithm meeting delayed ACK cost every kept-alive request ~40 ms."""
    with listen_socket("127.0.0.1", 0) as server:
        with socket.create_connection(server.getsockname()) as _client:
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_an_unwritable_cache_folder_is_one_line_before_the_banner(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")  # a path under a file is unwritable even for root
    result = _cli(
        "serve",
        "--port",
        "0",
        "--music",
        str(tmp_path),
        "--data-dir",
        str(tmp_path / "data"),
        "--fingerprint-servers",
        "none",
        env={**os.environ, "AURALIS_CACHE_DIR": str(not_a_folder / "cache")},
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"auralis-server: cannot write the chunk cache folder {not_a_folder}/cache/chunks: "
        "Not a directory"
    )


def test_an_unwritable_data_folder_is_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = _cli("scan", "--music", str(tmp_path), "--data-dir", str(not_a_folder / "data"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"auralis-server: cannot write the data folder {not_a_folder}/data: Not a directory"
    )
