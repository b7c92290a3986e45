"""Server settings: defaults < TOML file in the XDG config dir < AURALIS_* env vars < CLI flags.

Imports: (none).
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from shared.config_file import chosen_config_file

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class ConfigError(ValueError):
    """A setting that cannot be used; the message is shown to the user as one line."""


def _xdg_dir(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / fallback


def default_config_path() -> Path:
    return _xdg_dir("XDG_CONFIG_HOME", ".config") / "auralis" / "server.toml"


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    music_dirs: tuple[Path, ...] = ()
    database_url: str | None = None
    data_dir: Path = field(
        default_factory=lambda: _xdg_dir("XDG_DATA_HOME", ".local/share") / "auralis"
    )
    cache_dir: Path = field(
        default_factory=lambda: _xdg_dir("XDG_CACHE_HOME", ".cache") / "auralis"
    )
    token: str | None = None
    insecure_no_token: bool = False
    chunk_seconds: float = 10.0
    fingerprint_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    # Chunk renders: worker processes, one per core; 0 renders on threads of the server.
    render_processes: int = field(default_factory=lambda: os.cpu_count() or 1)
    scan_on_start: bool = True
    chunk_cache_memory_mb: int = 256
    chunk_cache_disk_mb: int = 2048
    log_level: str = "info"
    fingerprint_servers: str = "auto"
    # Servers sharing one database: how long a claimed fingerprint job stays this server's
    # without renewal (renewed every third of it), and the name its claims carry ("" means
    # host name and process id).
    fingerprint_lease_s: float = 30.0
    replica_id: str = ""
    # The one Subsonic account (/rest/): its name, password and API keys.
    subsonic_user: str = "auralis"
    subsonic_password: str | None = None
    subsonic_api_keys: tuple[str, ...] = ()

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "auralis.db"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo-library"

    def effective_music_dirs(self) -> tuple[Path, ...]:
        """Configured dirs, else ``~/Music``."""
        return self.music_dirs or (Path.home() / "Music",)

    def bind_refusal(self) -> str | None:
        """Why the server must not start with these settings, or None."""
        if self.token or self.insecure_no_token or is_loopback(self.host):
            return None
        return (
            f"refusing to listen on {self.host} without a token: set AURALIS_TOKEN "
            "(or --token), or pass --insecure-no-token"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _fingerprint_servers(value: str) -> str:
    """'auto', 'none', or host:port[,host:port…] with every port a number."""
    cleaned = value.strip().lower() if value.strip().lower() in ("auto", "none", "") else None
    if cleaned is not None:
        return cleaned or "none"
    addresses = [item.strip() for item in value.split(",") if item.strip()]
    for address in addresses:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ValueError
    return ",".join(addresses)


# setting -> (type, lowest, highest) of the numeric settings
_NUMBER_BOUNDS: dict[str, tuple[type[int] | type[float], float, float]] = {
    "port": (int, 0, 65535),
    "chunk_cache_memory_mb": (int, 0, math.inf),
    "chunk_cache_disk_mb": (int, 0, math.inf),
    "fingerprint_workers": (int, 0, 256),
    "render_processes": (int, 0, 256),
    "chunk_seconds": (float, 1.0, 60.0),
    "fingerprint_lease_s": (float, 3.0, 3600.0),
}


def _coerce(name: str, value: Any) -> Any:
    """Turn a TOML/env/CLI value into the field's type, or raise ConfigError naming it."""
    try:
        if name in _NUMBER_BOUNDS:
            kind, low, high = _NUMBER_BOUNDS[name]
            number = kind(value)
            if not low <= number <= high:
                raise ValueError
            return number
        if name in ("insecure_no_token", "scan_on_start"):
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if name == "music_dirs":
            items = value.split(os.pathsep) if isinstance(value, str) else list(value)
            return tuple(Path(str(item)).expanduser() for item in items if str(item))
        if name in ("data_dir", "cache_dir"):
            return Path(str(value)).expanduser()
        if name == "subsonic_api_keys":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if name in ("database_url", "token", "subsonic_password"):
            return str(value) or None
        if name in ("host", "log_level", "subsonic_user", "replica_id"):
            return str(value)
        if name == "fingerprint_servers":
            return _fingerprint_servers(str(value))
    except (TypeError, ValueError):
        raise ConfigError(f"invalid value for {name}: {value!r}") from None
    raise ConfigError(f"unknown setting {name!r}")


ENV_VARS: dict[str, str] = {  # variable -> setting
    "AURALIS_HOST": "host",
    "AURALIS_PORT": "port",
    "AURALIS_MUSIC": "music_dirs",
    "AURALIS_DATABASE_URL": "database_url",
    "AURALIS_DATA_DIR": "data_dir",
    "AURALIS_CACHE_DIR": "cache_dir",
    "AURALIS_TOKEN": "token",
    "AURALIS_INSECURE_NO_TOKEN": "insecure_no_token",
    "AURALIS_CHUNK_SECONDS": "chunk_seconds",
    "AURALIS_FINGERPRINT_WORKERS": "fingerprint_workers",
    "AURALIS_RENDER_PROCESSES": "render_processes",
    "AURALIS_CHUNK_CACHE_MEMORY_MB": "chunk_cache_memory_mb",
    "AURALIS_CHUNK_CACHE_DISK_MB": "chunk_cache_disk_mb",
    "AURALIS_SCAN_ON_START": "scan_on_start",
    "AURALIS_LOG_LEVEL": "log_level",
    "AURALIS_FINGERPRINT_SERVERS": "fingerprint_servers",
    "AURALIS_FINGERPRINT_LEASE_S": "fingerprint_lease_s",
    "AURALIS_REPLICA_ID": "replica_id",
    "AURALIS_SUBSONIC_USER": "subsonic_user",
    "AURALIS_SUBSONIC_PASSWORD": "subsonic_password",
    "AURALIS_SUBSONIC_API_KEYS": "subsonic_api_keys",
}


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    section = dict(raw.get("server", raw))
    if "music" in section:  # the short name users write; music_dirs also works
        section.setdefault("music_dirs", section.pop("music"))
    return {key: _coerce(key, value) for key, value in section.items()}


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings; ``overrides`` are CLI flags (None means 'not given')."""
    env, path = chosen_config_file(config_path, environ, "AURALIS_CONFIG")
    values: dict[str, Any] = _from_toml(path or default_config_path())
    if path is not None and not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    for variable, name in ENV_VARS.items():
        if variable in env:
            values[name] = _coerce(name, env[variable])
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value)
    return replace(Settings(), **values)
