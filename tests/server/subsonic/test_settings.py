"""The Subsonic settings: defaults, environment variables, TOML lists."""

from __future__ import annotations

from pathlib import Path

from auralis_server.config import load_settings


def test_defaults_have_a_user_and_no_credential(tmp_path: Path) -> None:
    settings = load_settings(config_path=None, environ={"XDG_CONFIG_HOME": str(tmp_path)})
    assert settings.subsonic_user == "auralis"
    assert (settings.subsonic_password, settings.subsonic_api_keys) == (None, ())


def test_environment_sets_password_and_comma_separated_keys(tmp_path: Path) -> None:
    environ = {
        "XDG_CONFIG_HOME": str(tmp_path),
        "AURALIS_SUBSONIC_PASSWORD": "pw",
        "AURALIS_SUBSONIC_API_KEYS": " one, two ,,",
    }
    settings = load_settings(environ=environ)
    assert settings.subsonic_password == "pw"
    assert settings.subsonic_api_keys == ("one", "two")


def test_toml_takes_a_list_of_keys(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('[server]\nsubsonic_user = "me"\nsubsonic_api_keys = ["k1", "k2"]\n')
    settings = load_settings(config_path=config, environ={})
    assert (settings.subsonic_user, settings.subsonic_api_keys) == ("me", ("k1", "k2"))
