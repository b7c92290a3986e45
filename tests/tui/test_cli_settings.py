"""Every client setting has a flag, an AURALIS_* variable and a client.toml key; the
README's client table lists them all; a bad value is one line naming where it came from."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest

from auralis_tui.api import ClientError
from auralis_tui.commands.options import given_settings, parse_arguments
from auralis_tui.config import BY_NAME, CONFIG_ENV, SETTINGS, ClientSettings, load_client_settings
from tests.conftest import LiveServer
from tests.server.conftest import Library
from tests.tui.cli_run import ROOT, auralis

# name: (as typed on the command line or in the environment, as written in TOML, parsed)
EXAMPLES: dict[str, tuple[str, str, object]] = {
    "server": ("http://nas:8765", '"http://nas:8765"', "http://nas:8765"),
    "token": ("s3cret", '"s3cret"', "s3cret"),
    "device": ("2", "2", 2),
    "preset": ("warm", '"warm"', "warm"),
    "intensity": ("0.25", "0.25", 0.25),
    "crossfade_seconds": ("1.5", "1.5", 1.5),
}


def test_the_table_covers_every_field_and_every_example() -> None:
    assert set(BY_NAME) == {field.name for field in fields(ClientSettings)} == set(EXAMPLES)
    assert all(setting.env.startswith("AURALIS_") for setting in SETTINGS)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_setting_comes_from_a_flag_a_variable_or_the_file(name: str, tmp_path: Path) -> None:
    setting = BY_NAME[name]
    text, literal, expected = EXAMPLES[name]
    assert getattr(ClientSettings(), name) != expected  # the default is not the example
    config = tmp_path / "client.toml"
    config.write_text(f"{name} = {literal}\n")
    from_flag = load_client_settings(given_settings(parse_arguments([setting.flag, text])))
    from_env = load_client_settings(environ={setting.env: text})
    from_file = load_client_settings(config_path=config, environ={})
    from_file_by_env = load_client_settings(environ={CONFIG_ENV: str(config)})
    for settings in (from_flag, from_env, from_file, from_file_by_env):
        assert getattr(settings, name) == expected


def test_a_flag_beats_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    config = tmp_path / "client.toml"
    config.write_text('server = "http://file:1"\ntoken = "file"\n')
    env = {"AURALIS_SERVER": "http://env:1"}
    both = load_client_settings({"server": "http://flag:1"}, config_path=config, environ=env)
    assert (both.server, both.token) == ("http://flag:1", "file")
    assert load_client_settings(config_path=config, environ=env).server == "http://env:1"
    assert load_client_settings(config_path=config, environ={}).server == "http://file:1"


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("", {"AURALIS_INTENSITY": "loud"}, "invalid AURALIS_INTENSITY: intensity must be"),
        ("", {"AURALIS_CROSSFADE_SECONDS": "-1"}, "invalid AURALIS_CROSSFADE_SECONDS: crossfade"),
        ("preset = 'shouty'", {}, "invalid preset in "),
        ("server = 8765", {}, "invalid server in "),
        ("sever = 'http://typo'", {}, "unknown setting 'sever' in "),
        ("server = ", {}, "cannot read "),
    ],
)
def test_a_bad_value_is_one_line_naming_its_source(
    toml: str, env: dict[str, str], message: str, tmp_path: Path
) -> None:
    config = tmp_path / "client.toml"
    config.write_text(toml + "\n")
    with pytest.raises(ClientError, match=re.escape(message)) as raised:
        load_client_settings(config_path=config, environ=env)
    assert "\n" not in str(raised.value)


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(ClientError, match="does not exist"):
        load_client_settings(config_path=missing, environ={})
    with pytest.raises(ClientError, match="does not exist"):
        load_client_settings(environ={CONFIG_ENV: str(missing)})
    assert load_client_settings(environ={}) == ClientSettings()  # the default file is optional


def test_ls_reads_the_config_file_given_after_the_command(
    library: Library, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(library.app())
    config = tmp_path / "client.toml"
    config.write_text(f'server = "{server.url}"\n')
    result = auralis("ls", "song", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\t")[4] == "song"


def _readme_client_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Playing from the command line", 1)[1].split("\n## ", 1)[0]
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("|--")
    ]


def test_the_readme_lists_every_client_setting() -> None:
    rows = _readme_client_rows()
    for setting in SETTINGS:
        matching = [row for row in rows if f"`{setting.env}`" in row]
        assert len(matching) == 1, setting.env
        (row,) = matching
        assert row[1] == f"`{setting.name}`" and row[3].startswith(f"`{setting.flag}"), row
    assert any(f"`{CONFIG_ENV}`" in row and row[3].startswith("`--config") for row in rows)
