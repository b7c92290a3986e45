"""BS.1770-4 loudness against the standard's coefficients and pyloudnorm's exact-filter meter."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from auralis_server.audio.loudness import integrated_loudness, k_weighting_sos
from tests.conftest import music_signal, require_audio_fixture

DRASCULA = Path("/usr/share/scummvm/drascula/audio")


def test_k_weighting_at_48k_is_the_bs1770_table() -> None:
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(
        sos[0, :3], [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-8
    )
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585], atol=1e-8)
    np.testing.assert_allclose(sos[1, :3], [1.0, -2.0, 1.0])
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621], atol=1e-8)


def _music_like(kind: str, rate_hz: int) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(kind.encode()))
    seconds = 30
    t = np.arange(seconds * rate_hz) / rate_hz
    if kind == "chords":
        return music_signal(seconds, rate_hz, seed=1) * 0.8
    if kind == "drums":  # decaying noise bursts twice a second over a bass line
        hits = rng.standard_normal(len(t)) * np.exp(-((t * 2) % 1.0) * 12)
        return np.stack([0.3 * hits + 0.2 * np.sin(2 * np.pi * 55 * t)] * 2, axis=1)
    if kind == "dynamic":  # a quiet verse and a loud chorus
        envelope = np.where(t < 15, 0.05, 0.6)
        return np.stack(
            [envelope * np.sin(2 * np.pi * 330 * t), envelope * np.sin(2 * np.pi * 331 * t)], axis=1
        )
    if kind == "pink":
        white = rng.standard_normal((len(t), 2))
        spectrum = np.fft.rfft(white, axis=0) / np.sqrt(np.arange(1, len(t) // 2 + 2))[:, None]
        pink = np.fft.irfft(spectrum, len(t), axis=0)
        return 0.3 * pink / np.abs(pink).max()
    if kind == "bright_mono":
        return (
            0.2 * np.sign(np.sin(2 * np.pi * 3000 * t)) * (1 + np.sin(2 * np.pi * 0.5 * t)) / 2
        )[:, None]
    raise ValueError(kind)


@pytest.mark.parametrize("rate_hz", [44100, 48000])
@pytest.mark.parametrize("kind", ["chords", "drums", "dynamic", "pink", "bright_mono"])
def test_matches_pyloudnorm_deman_on_music_like_signals(kind: str, rate_hz: int) -> None:
    audio = _music_like(kind, rate_hz)
    reference = pyloudnorm.Meter(rate_hz, filter_class="DeMan").integrated_loudness(audio)
    assert integrated_loudness(audio, rate_hz) == pytest.approx(reference, abs=0.1)


def test_matches_pyloudnorm_on_real_music() -> None:
    require_audio_fixture(DRASCULA.is_dir(), f"{DRASCULA} missing (apt-get install drascula-music)")
    tracks = sorted(DRASCULA.glob("*.ogg"))
    assert tracks
    for path in tracks:
        audio, rate_hz = soundfile.read(path, always_2d=True)
        reference = pyloudnorm.Meter(rate_hz, filter_class="DeMan").integrated_loudness(audio)
        assert integrated_loudness(audio, rate_hz) == pytest.approx(reference, abs=0.1), path.name
