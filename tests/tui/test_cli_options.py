"""One convention for `auralis`: settings go before or after the command, only on the
commands that use them; `play` takes several ids or a query."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from auralis_server.library.scanner import Scanner
from auralis_tui.commands.options import given_settings, parse_arguments
from auralis_tui.commands.play import requested
from auralis_tui.config import ClientSettings, load_client_settings
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library
from tests.tui.cli_run import auralis

COMMANDS = (["ls", "night"], ["play", "3"], ["fetch", "3", "-o", "x.wav"], [])


def _resolved(argv: list[str]) -> tuple[argparse.Namespace, ClientSettings]:
    args = parse_arguments(argv)
    return args, load_client_settings(given_settings(args), environ={})


def test_playback_options_go_before_or_after_the_command() -> None:
    _, before = _resolved(["--preset", "warm", "--intensity", "0.5", "play", "3"])
    _, after = _resolved(["play", "3", "--preset", "bright"])
    bare_args, bare = _resolved(["--device", "2", "--crossfade", "3"])
    assert (before.preset, before.intensity) == ("warm", 0.5)
    assert (after.preset, after.intensity) == ("bright", 1.0)
    assert bare_args.command is None
    assert (bare.device, bare.crossfade_seconds, bare.preset) == (2, 3.0, "adaptive")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda argv: argv[0] if argv else "tui")
def test_connection_options_go_on_either_side(command: list[str]) -> None:
    url = "http://nas:8765"
    for argv in (
        ["--server", url, "--token", "t", *command],
        [*command, "--server", url, "--token", "t"],
        ["--server", "http://earlier:1", *command, "--server", url, "--token", "t"],
    ):
        _, settings = _resolved(argv)
        assert (settings.server, settings.token) == (url, "t"), argv


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--device", "2", "ls"], "--device"),
        (["ls", "--device", "2"], "--device"),
        (["--crossfade", "2", "fetch", "3", "-o", "x.wav"], "--crossfade"),
        (["fetch", "3", "-o", "x.wav", "--crossfade", "2"], "--crossfade"),
        (["--server", "http://nas:8765", "devices"], "--server"),
        (["devices", "--server", "http://nas:8765"], "--server"),
        (["--config", "client.toml", "devices"], "--config"),
    ],
)
def test_an_option_is_refused_by_a_command_that_does_not_use_it(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_arguments(argv)
    assert stopped.value.code == 2
    assert re.search(rf"error: .*{flag}", capsys.readouterr().err)


def test_play_takes_ids_or_a_query() -> None:
    assert requested(["3", "4"]) == [3, 4]
    assert requested(["3"]) == [3]
    assert requested(["demo", "band"]) == "demo band"
    assert requested(["side", "2"]) == "side 2"
    assert requested(["٣"]) == "٣"  # an Arabic-Indic digit is a word, not an id


def test_fetch_with_the_server_after_the_command(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(library.app())
    out = tmp_path / "mono.wav"
    track_id = str(library.track_id("mono.wav"))
    result = auralis("fetch", track_id, "-o", str(out), "--server", server.url)
    assert result.returncode == 0, result.stderr
    assert out.exists()


def test_play_plays_every_id_given(
    library: Library,
    live_server: Callable[..., LiveServer],
    pulse: dict[str, str],
) -> None:
    for seed, name in enumerate(("one.wav", "two.wav")):
        write_audio(library.music / name, 1.0, 44100, seed=20 + seed)
    Scanner([library.music], workers=1).run()
    server = live_server(library.app())
    ids = [str(library.track_id(name)) for name in ("one.wav", "two.wav")]
    result = auralis("play", *ids, "--server", server.url, "--device", "pulse", env=pulse)
    assert result.returncode == 0, result.stderr
    assert "playing 2 tracks" in result.stderr
    assert "played 2.0 s" in result.stderr, result.stderr
