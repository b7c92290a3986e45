"""Client settings: --server/--token flags, else AURALIS_SERVER/AURALIS_TOKEN, else
``$XDG_CONFIG_HOME/auralis/client.toml`` (``server = "…"``, ``token = "…"``), else loopback."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from auralis_tui.api import DEFAULT_SERVER, ClientError


@dataclass(frozen=True)
class ClientSettings:
    server: str = DEFAULT_SERVER
    token: str | None = None


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "auralis" / "client.toml"


def load_client_settings(server: str | None, token: str | None) -> ClientSettings:
    values: dict[str, str] = {}
    path = config_path()
    if path.exists():
        try:
            values = {
                k: str(v)
                for k, v in tomllib.loads(path.read_text()).items()
                if k in ("server", "token")
            }
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ClientError(f"cannot read {path}: {exc}") from None
    resolved_server = (
        server or os.environ.get("AURALIS_SERVER") or values.get("server") or DEFAULT_SERVER
    )
    resolved_token = token or os.environ.get("AURALIS_TOKEN") or values.get("token")
    return ClientSettings(resolved_server, resolved_token or None)
