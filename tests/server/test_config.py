from __future__ import annotations

from pathlib import Path

import pytest

from auralis_server.config import ConfigError, Settings, is_loopback, load_settings


def test_precedence_defaults_then_toml_then_env_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(
        '[server]\nport = 9000\nhost = "127.0.0.2"\nmusic = ["/srv/a", "/srv/b"]\nchunk_seconds = 5\n'
    )
    settings = load_settings({"port": None}, config_path=config, environ={"AURALIS_PORT": "9100"})
    assert settings.port == 9100  # env beats file
    assert settings.host == "127.0.0.2"  # file beats default
    assert settings.music_dirs == (Path("/srv/a"), Path("/srv/b"))
    assert settings.chunk_seconds == 5.0
    flagged = load_settings({"port": 9200}, config_path=config, environ={"AURALIS_PORT": "9100"})
    assert flagged.port == 9200  # flag beats env


def test_default_config_file_is_in_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "auralis").mkdir()
    (tmp_path / "auralis" / "server.toml").write_text('token = "s3cret"\n')
    assert load_settings().token == "s3cret"


def test_env_music_is_a_path_list_and_database_url_is_honoured() -> None:
    settings = load_settings(
        environ={"AURALIS_MUSIC": "/m1:/m2", "AURALIS_DATABASE_URL": "sqlite:////tmp/x.db"}
    )
    assert settings.music_dirs == (Path("/m1"), Path("/m2"))
    assert settings.database_url == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AURALIS_PORT", "http"),
        ("AURALIS_PORT", "70000"),
        ("AURALIS_CHUNK_SECONDS", "0"),
        ("AURALIS_SCAN_ON_START", "maybe"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match="invalid value"):
        load_settings(environ={name: value})


def test_unreadable_toml_is_a_config_error(tmp_path: Path) -> None:
    broken = tmp_path / "server.toml"
    broken.write_text("port = = 3")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(config_path=broken)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(config_path=tmp_path / "missing.toml")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    assert Settings(host=host).bind_refusal() is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "nas.local"])
def test_off_loopback_needs_a_token_or_the_opt_out(host: str) -> None:
    assert not is_loopback(host)
    assert "without a token" in (Settings(host=host).bind_refusal() or "")
    assert Settings(host=host, token="t").bind_refusal() is None
    assert Settings(host=host, insecure_no_token=True).bind_refusal() is None
