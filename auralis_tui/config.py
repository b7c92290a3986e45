"""Client settings: a flag, else an ``AURALIS_*`` variable, else a key of ``client.toml``
(``$XDG_CONFIG_HOME/auralis/``, or ``--config FILE`` / ``AURALIS_CLIENT_CONFIG``), else
the default.

``SETTINGS`` is the one table of them: the command line, the loader and the README's
client table are all checked against it, so a setting cannot exist in one place only.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auralis_tui.api import DEFAULT_SERVER, ClientError
from shared.config_file import chosen_config_file
from shared.presets import DEFAULT_PRESET, PRESET_NAMES
from shared.stream_params import DEFAULT_INTENSITY, parse_intensity, parse_preset

CONFIG_ENV = "AURALIS_CLIENT_CONFIG"


@dataclass(frozen=True)
class ClientSettings:
    server: str = DEFAULT_SERVER
    token: str | None = None
    device: str | int | None = None  # None: PortAudio's default output
    preset: str = DEFAULT_PRESET
    intensity: float = DEFAULT_INTENSITY
    crossfade_seconds: float = 0.0  # 0: gapless


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _device(value: object) -> str | int:
    """An index (``2``) or a name PortAudio matches (``pulse``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value)
    return int(text) if text.isascii() and text.isdigit() else text


def _number_text(value: object) -> str:
    """TOML gives numbers, flags and variables give text; both read as text here."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return str(value)


def _crossfade_seconds(value: object) -> float:
    text = _number_text(value)
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"crossfade must be a number of seconds >= 0, got {text!r}")
    return seconds


@dataclass(frozen=True)
class Setting:
    """One client setting: ``name`` is the TOML key and the ClientSettings field."""

    name: str
    flag: str
    env: str
    parse: Callable[[object], Any]
    metavar: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("server", "--server", "AURALIS_SERVER", _text, "URL", f"default {DEFAULT_SERVER}"),
    Setting("token", "--token", "AURALIS_TOKEN", _text, "TOKEN", "bearer token"),
    Setting(
        "device",
        "--device",
        "AURALIS_DEVICE",
        _device,
        "NAME|INDEX",
        "output device (see `auralis devices`)",
    ),
    Setting(
        "preset",
        "--preset",
        "AURALIS_PRESET",
        lambda value: parse_preset(_text(value)),
        "PRESET",
        f"mastering preset: {', '.join(PRESET_NAMES)}; default {DEFAULT_PRESET}",
    ),
    Setting(
        "intensity",
        "--intensity",
        "AURALIS_INTENSITY",
        lambda value: parse_intensity(_number_text(value)),
        "0..1",
        "how much of the mastering to apply, default 1",
    ),
    Setting(
        "crossfade_seconds",
        "--crossfade",
        "AURALIS_CROSSFADE_SECONDS",
        _crossfade_seconds,
        "SECONDS",
        "equal-power crossfade between tracks, default 0 (gapless)",
    ),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "auralis" / "client.toml"


def _read_toml(path: Path, explicit: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if explicit:
            raise ClientError(f"config file {path} does not exist") from None
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ClientError(f"cannot read {path}: {exc}") from None


def _parsed(setting: Setting, value: object, source: str) -> Any:
    try:
        return setting.parse(value)
    except ValueError as exc:
        raise ClientError(f"invalid {source}: {exc}") from None


def load_client_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Resolve every setting; ``flags`` holds only the flags given, already parsed."""
    env, explicit = chosen_config_file(config_path, environ, CONFIG_ENV)
    path = explicit or default_config_path()
    values: dict[str, Any] = {}
    for key, value in _read_toml(path, explicit is not None).items():
        if key not in BY_NAME:
            raise ClientError(f"unknown setting {key!r} in {path}")
        values[key] = _parsed(BY_NAME[key], value, f"{key} in {path}")
    for setting in SETTINGS:
        if env.get(setting.env):
            values[setting.name] = _parsed(setting, env[setting.env], setting.env)
    values.update({name: value for name, value in (flags or {}).items() if name in BY_NAME})
    return replace(ClientSettings(), **values)
