"""Service hardening (issue 16 item 6): tokens compared in constant time and kept out of the
logs, also when given in the URL, and the systemd unit in contrib/ checked by systemd itself."""

from __future__ import annotations

import hmac
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from auralis_server.config import ENV_VARS, Settings
from auralis_server.http.app import create_app
from auralis_server.http.auth import REDACTED, redact_secrets
from tests.conftest import write_audio
from tests.server.conftest import ROOT, ServerProcess

UNIT = ROOT / "contrib" / "auralis-server.service"
TOKEN = "s3cret-token-Zq81"
WRONG = "s3cret-token-Zq82"  # a near miss is a near secret: it stays out of the log too
PASSWORD = "pass-word-Kx77"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/api/tracks?token=abc&limit=5", f"/api/tracks?token={REDACTED}&limit=5"),
        ("/api/tracks?limit=5&%74oken=abc", f"/api/tracks?limit=5&%74oken={REDACTED}"),
        ("/api/tracks?token=a&token=b", f"/api/tracks?token={REDACTED}&token={REDACTED}"),
        ("/api/tracks?q=token%3Dabc", "/api/tracks?q=token%3Dabc"),  # a search for it
        ("/api/tracks?token", "/api/tracks?token"),  # no value to hide
        ("/api/health", "/api/health"),
        ("/api/tracks?p=1&t=2", "/api/tracks?p=1&t=2"),  # Subsonic's names mean nothing here
        (
            "/rest/stream?u=me&t=abc&s=salt&id=7",
            f"/rest/stream?u=me&t={REDACTED}&s=salt&id=7",
        ),
        ("/rest/ping?u=me&p=enc:6869", f"/rest/ping?u=me&p={REDACTED}"),
        ("/rest/ping?apiKey=k1", f"/rest/ping?apiKey={REDACTED}"),
    ],
)
def test_credentials_in_a_url_are_redacted_and_nothing_else(target: str, expected: str) -> None:
    assert redact_secrets(target) == expected


def test_tokens_are_compared_in_constant_time(
    tmp_path: Path, settings_for: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every comparison goes through hmac.compare_digest, header and query alike."""
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    settings = settings_for(tmp_path / "music", token=TOKEN)
    with TestClient(create_app(settings)) as client:
        assert (
            client.get("/api/health", headers={"Authorization": f"Bearer {WRONG}"}).status_code
            == 401
        )
        assert client.get(f"/api/health?token={TOKEN}").status_code == 200
    assert compared == [(WRONG.encode(), TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_no_token_or_password_reaches_the_server_log(
    tmp_path: Path, serve: type[ServerProcess]
) -> None:
    """A real server, its access log (stdout) and everything else (stderr) read together."""
    write_audio(tmp_path / "music" / "song.wav", 1.0, 8000, channels=1)
    server = serve(
        "--music",
        str(tmp_path / "music"),
        "--data-dir",
        str(tmp_path / "data"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--fingerprint-workers",
        "0",
        "--fingerprint-servers",
        "none",
        "--token",
        TOKEN,
        "--subsonic-password",
        PASSWORD,
        prefix=("sh", "-c", 'exec "$@" >&2', "sh"),  # stdout (the access log) into stderr
    )
    assert _get(f"{server.url}/api/tracks?token={TOKEN}&limit=1") == 200
    assert _get(f"{server.url}/api/tracks?%74oken={TOKEN}") == 200
    assert _get(f"{server.url}/api/tracks?token={WRONG}") == 401
    subsonic = "/rest/ping?u=auralis&v=1.16.1&c=test&f=json"
    assert _get(f"{server.url}{subsonic}&p={PASSWORD}") == 200
    request = urllib.request.Request(
        f"{server.url}/api/health", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    server.stop()

    log = "\n".join(server.lines)
    assert TOKEN not in log and WRONG not in log and PASSWORD not in log
    access = [line for line in server.lines if '"GET /' in line]
    assert len(access) == 5, log  # the access log was there to be read
    assert sum(REDACTED in line for line in access) == 4


def _unit_settings() -> list[tuple[str, str, str]]:
    """(section, key, value) of every assignment in the unit, repeated keys kept."""
    section, settings = "", []
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.append((section, key.strip(), value.strip()))
    return settings


def test_the_unit_runs_the_server_as_nobody_in_particular_with_music_read_only() -> None:
    service = {}
    environment = {}
    for section, key, value in _unit_settings():
        if section == "Service" and key == "Environment":
            name, _, setting = value.partition("=")
            environment[name] = setting
        elif section == "Service":
            service[key] = value
    assert service["DynamicUser"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "auralis" and service["CacheDirectory"] == "auralis"
    assert environment["AURALIS_DATA_DIR"] == "%S/auralis"
    assert environment["AURALIS_CACHE_DIR"] == "%C/auralis"
    read_only = [path.removeprefix("-") for path in service["ReadOnlyPaths"].split()]
    assert environment["AURALIS_MUSIC"] in read_only
    assert service["ExecStart"].split()[-1] == "serve"
    # Every variable it sets is one the server reads (a misspelt one would be ignored).
    assert {name for name in environment if name.startswith("AURALIS_")} <= set(ENV_VARS)


systemd_analyze = shutil.which("systemd-analyze")


@pytest.mark.skipif(systemd_analyze is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit_and_rates_it_safe(tmp_path: Path) -> None:
    """`systemd-analyze verify` wants ExecStart's program to exist: the copy checked runs
    this checkout's auralis-server; everything else is the file as shipped."""
    assert systemd_analyze is not None
    program = Path(sys.executable).parent / "auralis-server"
    if not program.exists():
        pytest.skip(f"{program} is not installed (pip install -e .)")
    unit = tmp_path / UNIT.name
    text = UNIT.read_text()
    unit.write_text(re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={program}", text))
    environ = {**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": ""}

    verify = subprocess.run(
        [systemd_analyze, "verify", str(unit)], capture_output=True, text=True, env=environ
    )
    assert verify.returncode == 0, verify.stderr
    assert UNIT.name not in verify.stdout + verify.stderr, verify.stdout + verify.stderr

    security = subprocess.run(
        [systemd_analyze, "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        env=environ,
    )
    if "--offline" in security.stderr:
        pytest.skip("this systemd-analyze cannot rate a unit file offline")
    verdict = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", security.stdout)
    assert verdict is not None, security.stdout + security.stderr
    assert verdict.group(2) in ("SAFE", "OK"), verdict.group(0)
