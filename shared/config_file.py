"""Which settings file a program reads: the one named by a flag, else by its environment
variable (an explicit choice: it must exist), else the default path (optional)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def chosen_config_file(
    flag_path: Path | None, environ: Mapping[str, str] | None, variable: str
) -> tuple[Mapping[str, str], Path | None]:
    """(the environment to read, the explicitly chosen file or None for the default)."""
    env = os.environ if environ is None else environ
    return env, flag_path or (Path(env[variable]) if env.get(variable) else None)
