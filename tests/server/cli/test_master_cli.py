"""`auralis-server master` (issue 14, item 4) as a user runs it: files outside any library,
measured with meters that share no code with the chain (pyloudnorm, scipy's resampler)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile
from scipy.signal import resample_poly

from tests.server.mastering import mastering_signals as signals

ROOT = Path(__file__).resolve().parents[3]
SECONDS = 10.0
_PLANNED = re.compile(r"→ (-?\d+\.\d+) LUFS planned")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "auralis_server.cli", "master", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )


# (file name, soundfile subtype, signal): a quiet mix, a loud master, a spiky quiet track.
INPUTS = {
    "mix.wav": ("PCM_16", lambda: signals.VARIED_BUILDERS["soft_mix"](SECONDS)),
    "loud.flac": ("PCM_24", lambda: signals.compressed_loud(SECONDS)),
    "spiky.ogg": ("VORBIS", lambda: signals.quiet(SECONDS)),
}


@pytest.mark.parametrize("name", list(INPUTS))
def test_master_writes_the_planned_loudness_under_the_ceiling(tmp_path: Path, name: str) -> None:
    subtype, build = INPUTS[name]
    source = tmp_path / "elsewhere" / name
    source.parent.mkdir()
    soundfile.write(source, build(), signals.RATE_HZ, subtype=subtype)
    before = source.read_bytes()
    output = tmp_path / "out.wav" if name == "mix.wav" else None
    result = _cli(tmp_path, str(source), *(["-o", str(output)] if output else []))
    assert result.returncode == 0, result.stderr
    written = output or source.with_name(f"{source.stem}.mastered.flac")
    info = soundfile.info(written)
    assert info.subtype == "PCM_24" and info.format == ("WAV" if output else "FLAC")
    audio, rate = soundfile.read(written, always_2d=True)
    planned = float(_PLANNED.search(result.stdout).group(1))  # type: ignore[union-attr]
    measured = pyloudnorm.Meter(rate).integrated_loudness(audio)
    assert abs(measured - planned) <= 0.5, result.stdout
    true_peak = 20 * np.log10(np.abs(resample_poly(audio, 4, 1, axis=0)).max())
    assert true_peak <= -1.0, result.stdout
    assert source.read_bytes() == before
    for word in ("LUFS", "dBTP", "region", "preset"):
        assert word in result.stdout


def _one_line_exit_2(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_missing_input_is_one_line(tmp_path: Path) -> None:
    _one_line_exit_2(_cli(tmp_path, str(tmp_path / "nothing.flac")), "file not found")


def test_output_equal_to_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    source = tmp_path / "track.flac"
    soundfile.write(source, signals.mix(2.0), signals.RATE_HZ, subtype="PCM_16")
    before = source.read_bytes()
    # the same file by another spelling of its path
    result = _cli(tmp_path, str(source), "-o", str(tmp_path / "." / "track.flac"))
    _one_line_exit_2(result, "would overwrite the input")
    assert source.read_bytes() == before


def test_unwritable_output_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "track.wav"
    soundfile.write(source, signals.mix(2.0), signals.RATE_HZ)
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    result = _cli(tmp_path, str(source), "-o", str(not_a_folder / "out.flac"))
    _one_line_exit_2(result, "cannot write")


@pytest.mark.parametrize(
    ("flag", "value", "needle"),
    [
        ("--preset", "loudest", "unknown preset"),
        ("--intensity", "1.5", "intensity must be"),
        ("--loudness-target", "loud", "--loudness-target"),
    ],
)
def test_bad_settings_are_one_line(tmp_path: Path, flag: str, value: str, needle: str) -> None:
    source = tmp_path / "track.wav"
    soundfile.write(source, signals.mix(2.0), signals.RATE_HZ)
    _one_line_exit_2(_cli(tmp_path, str(source), flag, value), needle)
