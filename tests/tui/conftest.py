"""Fixtures of the client's tests: the server tests' library, a tagged library, PulseAudio."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mutagen.flac import FLAC

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.demo import write_demo_library
from auralis_server.library.models import close_database, open_database
from auralis_server.library.scanner import Scanner
from tests.conftest import LiveServer, require_audio_fixture, write_audio
from tests.server.conftest import database_url, library, serve  # noqa: F401  (fixtures)

SINK = "auralis_null"


@dataclass
class TuiLibrary:
    server: LiveServer

    def get(self, path: str, **params: object) -> dict:  # type: ignore[type-arg]
        response = httpx.get(f"{self.server.url}{path}", params=params)  # type: ignore[arg-type]
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def tui_library(
    tmp_path: Path, settings_for: Callable[..., Settings], live_server: Callable[..., LiveServer]
) -> Iterator[TuiLibrary]:
    """The demo album (24 s songs), a track by another artist and an untagged one, served."""
    music = tmp_path / "music"
    write_demo_library(music / "demo", seconds_per_track=24.0)
    lone = music / "other" / "lone.flac"
    write_audio(lone, 30.0, subtype="PCM_16", seed=9)
    tags = FLAC(lone)
    tags.update(title="Lone Track", artist="Other Artist", album="B Sides", tracknumber="1")
    tags.save()
    write_audio(music / "untagged.wav", 20.0, seed=10)
    settings = settings_for(music)
    open_database(None, settings.sqlite_path)
    Scanner([music], workers=1).run()
    yield TuiLibrary(live_server(create_app(settings)))
    close_database()


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon with a null sink; the environment its clients need."""
    tools = [shutil.which(name) for name in ("pulseaudio", "parec", "pactl")]
    require_audio_fixture(
        all(tools), "PulseAudio tools missing (apt-get install pulseaudio pulseaudio-utils)"
    )
    runtime = tmp_path / "pulse-runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_SINK": SINK}
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            f"--load=module-null-sink sink_name={SINK}",
            "--load=module-native-protocol-unix",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            require_audio_fixture(
                time.monotonic() < deadline and daemon.poll() is None, "PulseAudio did not start"
            )
            time.sleep(0.1)
        subprocess.run(
            ["pactl", "set-default-sink", SINK], env=env, check=True, capture_output=True
        )
        yield env
    finally:
        daemon.terminate()
        daemon.wait(10)
