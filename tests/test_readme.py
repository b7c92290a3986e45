"""Every curl example in README.md, run verbatim against real servers on the demo library."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import soundfile

from auralis_server.cli import build_parser
from auralis_server.config import ENV_VARS, Settings
from auralis_server.http.app import create_app
from auralis_server.library.demo import write_demo_library
from auralis_server.library.models import close_database, open_database
from auralis_server.library.scanner import Scanner
from shared.wire import iter_frames
from tests.conftest import LiveServer

README = Path(__file__).resolve().parents[1] / "README.md"
TOKEN = "readme-token"


def curl_examples() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)
    return [
        line.strip() for block in blocks for line in block.splitlines() if line.startswith("curl ")
    ]


def test_readme_has_the_examples_this_test_runs() -> None:
    assert len(curl_examples()) >= 15


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_curl_example_works(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> None:
    music = tmp_path / "music"
    write_demo_library(music, seconds_per_track=25.0)
    settings = settings_for(music)
    open_database(None, settings.sqlite_path)
    try:
        Scanner([music], workers=1).run()
    finally:
        close_database()
    open_server = live_server(
        create_app(Settings(**{**settings.__dict__, "fingerprint_workers": 1}))
    )
    token_server = live_server(create_app(Settings(**{**settings.__dict__, "token": TOKEN})))
    work = tmp_path / "cwd"
    work.mkdir()
    for line in curl_examples():
        url = token_server.url if "AURALIS_TOKEN" in line else open_server.url
        script = 'curl() { command curl -w "\\n%{http_code}\\n" "$@"; }\n' + line
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin", "AURALIS": url, "AURALIS_TOKEN": TOKEN},
        )
        status = result.stdout.rstrip().splitlines()[-1]
        if "expect timeout" in line:
            assert result.returncode == 28, (line, result.stderr)
            assert "event: scan" in result.stdout, line
            continue
        assert result.returncode == 0, (line, result.stderr)
        expected = re.search(r"# expect (\d{3})", line)
        if expected:
            assert status == expected.group(1), (line, result.stdout)
            assert "content-range: chunks */3" in result.stdout.lower(), line
        else:
            assert status.startswith("2"), (line, result.stdout)
    _check_downloads(work)
    first_track = next(music.rglob("01 *.flac"))
    source, _ = soundfile.read(first_track, dtype="float32", frames=441_000 + 4410)
    (original,) = iter_frames([(work / "original.bin").read_bytes()])
    np.testing.assert_array_equal(original.samples, source)  # intensity 0: the file itself


def _check_downloads(work: Path) -> None:
    """The files the examples saved are what they claim to be."""
    c0, _ = soundfile.read(work / "c0.wav", dtype="float32")
    c1, _ = soundfile.read(work / "c1.flac", dtype="float32")
    assert c0.shape == (441_000, 2) and c1.shape == (441_000 + 4410, 2)
    all_frames = list(iter_frames([(work / "all.bin").read_bytes()]))
    assert [f.header.chunk_index for f in all_frames] == [0, 1, 2]
    np.testing.assert_array_equal(all_frames[0].core, c0)
    # the FLAC file holds the same mastered samples, quantised to 24 bits
    np.testing.assert_allclose(all_frames[1].samples, c1, rtol=0, atol=0.5 / 2**23)
    assert [f.header.chunk_index for f in iter_frames([(work / "first-two.bin").read_bytes()])] == [
        0,
        1,
    ]
    rest = list(iter_frames([(work / "rest.bin").read_bytes()]))
    assert [f.header.chunk_index for f in rest] == [1, 2]
    assert rest[0].header.sample_format.name == "s16"
    (original,) = iter_frames([(work / "original.bin").read_bytes()])
    (warm,) = iter_frames([(work / "warm.bin").read_bytes()])
    assert original.samples.shape == warm.samples.shape
    assert not np.array_equal(original.samples, warm.samples)  # mastering changed the sound


def test_the_key_table_lists_every_binding() -> None:
    from auralis_tui.app.keys import APP_KEYS, NAVIGATION_KEYS

    text = README.read_text()
    for key in (*APP_KEYS, *NAVIGATION_KEYS):
        assert f"| `{key.shown}` | {key.help or key.label} |" in text, key
    assert (README.parent / "docs" / "tui.svg").read_text().lstrip().startswith("<svg")


def _settings_table() -> list[dict[str, str]]:
    """The rows of the Configuration section's table, keyed by its header."""
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ")
    ]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _flags_by_dest() -> dict[str, set[str]]:
    """Every option string of every `auralis-server` command, by the setting it sets."""
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found: dict[str, set[str]] = {}
    for command in [parser, *commands.choices.values()]:
        for action in command._actions:
            found.setdefault(action.dest, set()).update(action.option_strings)
    return found


def test_the_settings_table_lists_every_setting_the_code_reads() -> None:
    rows = _settings_table()
    names = {field.name for field in fields(Settings)}
    keys_by_row = [set(re.findall(r"`([a-z_]+)\b", row["TOML key"])) for row in rows]
    assert names <= set().union(*keys_by_row)
    assert set().union(*keys_by_row) <= names | {"music"}  # no row for a setting that is gone
    listed_env = set(re.findall(r"`(AURALIS_[A-Z_]+)`", " ".join(r["environment"] for r in rows)))
    assert listed_env == {*ENV_VARS, "AURALIS_CONFIG"}
    flags = _flags_by_dest()
    for row, keys in zip(rows, keys_by_row, strict=True):
        (setting,) = keys & names or {"config"}
        (env,) = re.findall(r"`(AURALIS_[A-Z_]+)`", row["environment"])
        assert ENV_VARS.get(env, "config") == setting, row
        row_flags = set(re.findall(r"`(--[a-z-]+)", row["flag"]))
        assert row_flags and row_flags <= flags[setting], row
