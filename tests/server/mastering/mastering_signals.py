"""Test material for mastering: a drum-and-chords mix, and signals in each LWRP region."""

from __future__ import annotations

import numpy as np

from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.library.demo import SONGS, render_song

RATE_HZ = 44100


def mix(seconds: float = 35.0, song: int = 0) -> np.ndarray:
    return render_song(SONGS[song], seconds, seed=song + 1).astype(np.float64)


def at_lufs(audio: np.ndarray, lufs: float) -> np.ndarray:
    """``audio`` scaled to an exact integrated loudness (a gain moves LUFS dB for dB)."""
    measured = plan_inputs(audio, RATE_HZ)["lufs"]
    return audio * 10 ** ((lufs - measured) / 20)


def compressed_loud(seconds: float = 30.0) -> np.ndarray:
    """A mix driven into a soft clipper: about −8 LUFS with a crest near 8 dB."""
    driven = np.tanh(mix(seconds) * 2.8)
    return at_lufs(driven, -8.0)


def dynamic_loud(seconds: float = 30.0) -> np.ndarray:
    """A mix at −10.5 LUFS with band-limited hits twice a second: crest ≥ 15 dB.

    Its peaks stand above full scale, as a float master's may before its limiter.
    """
    audio = at_lufs(mix(seconds, song=1), -10.5)
    burst_t = np.arange(int(0.004 * RATE_HZ)) / RATE_HZ
    burst = np.sin(2 * np.pi * 2500 * burst_t) * np.hanning(len(burst_t))
    for start in range(RATE_HZ // 4, len(audio) - len(burst), RATE_HZ // 2):
        audio[start : start + len(burst)] += 1.2 * burst[:, None]
    return audio


def quiet(seconds: float = 30.0) -> np.ndarray:
    """The mix at −24 LUFS with a transient each second: crest near 18 dB."""
    audio = at_lufs(mix(seconds), -24.0)
    audio[np.arange(RATE_HZ // 4, len(audio), RATE_HZ)] = 0.4
    return audio


def balanced(seconds: float = 30.0) -> np.ndarray:
    """Pink noise (equal power per octave) under drum-like bursts, at −18 LUFS."""
    rng = np.random.default_rng(5)
    frames = int(seconds * RATE_HZ)
    spectrum = np.fft.rfft(rng.standard_normal((frames, 2)), axis=0)
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(frames, 1 / RATE_HZ), 20.0))[:, None]
    pink = np.fft.irfft(spectrum, frames, axis=0)
    envelope = 0.4 + 0.6 * np.exp(-((np.arange(frames) / RATE_HZ * 2) % 1.0) * 8)
    return at_lufs(pink * envelope[:, None], -18.0)


def loud_and_limited(seconds: float = 35.0) -> np.ndarray:
    """A mix hard-clipped 9 dB over full scale, as a loudness-war master would be."""
    return np.clip(mix(seconds, song=2) * 2.8, -1.0, 1.0)


def _spiked(audio: np.ndarray, height: float, every_s: float) -> np.ndarray:
    """``audio`` with a one-sample click of ``height`` every ``every_s``: raises the crest."""
    out = audio.copy()
    out[np.arange(RATE_HZ // 4, len(out), int(every_s * RATE_HZ))] = height
    return out


VARIED_BUILDERS = {
    "quiet_sparse": lambda s: _spiked(at_lufs(mix(s, song=0), -30.0), 0.25, 2.0),
    "quiet_spiky": quiet,
    "soft_mix": lambda s: at_lufs(mix(s, song=1), -20.0),
    "pink_bursts": balanced,
    "mid_mix": lambda s: at_lufs(mix(s, song=2), -16.0),
    "moderate": lambda s: at_lufs(np.tanh(mix(s, song=0) * 1.5), -13.0),
    "dynamic_loud": dynamic_loud,
    "compressed_loud": compressed_loud,
    "brickwalled": lambda s: at_lufs(np.tanh(mix(s, song=1) * 4.5), -7.0),
}


def varied_set(seconds: float = 12.0) -> dict[str, np.ndarray]:
    """Nine tracks across the LWRP plane: −30 to −7 LUFS, crest about 6 to 20 dB."""
    return {name: build(seconds) for name, build in VARIED_BUILDERS.items()}
