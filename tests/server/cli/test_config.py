from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from auralis_server.cli import build_parser
from auralis_server.cli.options import settings_from
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


@dataclass(frozen=True)
class Sample:
    """One non-default value of a setting, written the way each of its three sources takes it."""

    env: tuple[str, str]
    toml: str
    flag: tuple[str, ...]
    value: object


SAMPLES = {
    "host": Sample(("AURALIS_HOST", "10.1.2.3"), '"10.1.2.3"', ("--host", "10.1.2.3"), "10.1.2.3"),
    "port": Sample(("AURALIS_PORT", "9001"), "9001", ("--port", "9001"), 9001),
    "music_dirs": Sample(
        ("AURALIS_MUSIC", "/m/a:/m/b"),
        '["/m/a", "/m/b"]',
        ("--music", "/m/a", "--music", "/m/b"),
        (Path("/m/a"), Path("/m/b")),
    ),
    "database_url": Sample(
        ("AURALIS_DATABASE_URL", "sqlite:////x.db"),
        '"sqlite:////x.db"',
        ("--database-url", "sqlite:////x.db"),
        "sqlite:////x.db",
    ),
    "data_dir": Sample(
        ("AURALIS_DATA_DIR", "/srv/d"), '"/srv/d"', ("--data-dir", "/srv/d"), Path("/srv/d")
    ),
    "cache_dir": Sample(
        ("AURALIS_CACHE_DIR", "/srv/c"), '"/srv/c"', ("--cache-dir", "/srv/c"), Path("/srv/c")
    ),
    "token": Sample(("AURALIS_TOKEN", "s3cret"), '"s3cret"', ("--token", "s3cret"), "s3cret"),
    "insecure_no_token": Sample(
        ("AURALIS_INSECURE_NO_TOKEN", "yes"), "true", ("--insecure-no-token",), True
    ),
    "chunk_seconds": Sample(("AURALIS_CHUNK_SECONDS", "5"), "5", ("--chunk-seconds", "5"), 5.0),
    "fingerprint_workers": Sample(
        ("AURALIS_FINGERPRINT_WORKERS", "3"), "3", ("--fingerprint-workers", "3"), 3
    ),
    "render_processes": Sample(
        ("AURALIS_RENDER_PROCESSES", "0"), "0", ("--render-processes", "0"), 0
    ),
    "scan_on_start": Sample(("AURALIS_SCAN_ON_START", "off"), "false", ("--no-scan",), False),
    "chunk_cache_memory_mb": Sample(
        ("AURALIS_CHUNK_CACHE_MEMORY_MB", "64"), "64", ("--chunk-cache-memory-mb", "64"), 64
    ),
    "chunk_cache_disk_mb": Sample(
        ("AURALIS_CHUNK_CACHE_DISK_MB", "0"), "0", ("--chunk-cache-disk-mb", "0"), 0
    ),
    "log_level": Sample(
        ("AURALIS_LOG_LEVEL", "debug"), '"debug"', ("--log-level", "debug"), "debug"
    ),
    "fingerprint_servers": Sample(
        ("AURALIS_FINGERPRINT_SERVERS", "h:1"), '"h:1"', ("--fingerprint-servers", "h:1"), "h:1"
    ),
    "fingerprint_lease_s": Sample(
        ("AURALIS_FINGERPRINT_LEASE_S", "12.5"), "12.5", ("--fingerprint-lease-s", "12.5"), 12.5
    ),
    "replica_id": Sample(("AURALIS_REPLICA_ID", "a"), '"a"', ("--replica-id", "a"), "a"),
    "subsonic_user": Sample(
        ("AURALIS_SUBSONIC_USER", "ann"), '"ann"', ("--subsonic-user", "ann"), "ann"
    ),
    "subsonic_password": Sample(
        ("AURALIS_SUBSONIC_PASSWORD", "pw"), '"pw"', ("--subsonic-password", "pw"), "pw"
    ),
    "subsonic_api_keys": Sample(
        ("AURALIS_SUBSONIC_API_KEYS", "k1,k2"),
        '["k1", "k2"]',
        ("--subsonic-api-keys", "k1,k2"),
        ("k1", "k2"),
    ),
}


def test_the_samples_cover_every_setting() -> None:
    assert set(SAMPLES) == {field.name for field in fields(Settings)}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_setting_has_a_toml_key_an_env_var_and_a_flag(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = SAMPLES[name]
    assert getattr(Settings(), name) != sample.value  # the sample proves something
    toml = tmp_path / "server.toml"
    toml.write_text(f"[server]\n{name} = {sample.toml}\n")
    assert getattr(load_settings(config_path=toml, environ={}), name) == sample.value
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    from_env = load_settings(config_path=empty, environ=dict([sample.env]))
    assert getattr(from_env, name) == sample.value
    for variable in [v for v in os.environ if v.startswith("AURALIS_")]:
        monkeypatch.delenv(variable)
    args = build_parser().parse_args(["serve", "--config", str(empty), *sample.flag])
    assert getattr(settings_from(args), name) == sample.value
