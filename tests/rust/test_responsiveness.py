"""A steady chord and a drum loop differ on every one of the 25 dimensions, in the direction
each definition implies — through the Rust server and the Python implementation alike. A
dimension stuck at a constant (the old server's placeholders) cannot pass."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from auralis_server.fingerprint.dsp.analysis import compute_fingerprint
from auralis_server.fingerprint.dsp.rhythm import NO_PULSE_BPM
from shared.dimensions import DIMENSION_NAMES
from tests.rust.conftest import RustServer

RATE_HZ = 44100
SECONDS = 24.0
BPM = 100.0

Array = npt.NDArray[np.float64]


def steady_chord() -> Array:
    """A and E (3:2) with harmonics, held, the same in both channels."""
    t = np.arange(int(SECONDS * RATE_HZ)) / RATE_HZ
    tone = sum(
        np.sin(2 * np.pi * root * k * t) / k for root in (220.0, 330.0) for k in (1, 2, 3, 4)
    )
    mono = 0.15 * tone
    return np.stack([mono, mono], axis=1)


def drum_loop() -> Array:
    """Kick on 1 and 3, snare on 2 and 4, hats on the eighths panned left and right, the
    hits growing louder bar by bar, fills in every other bar, and a two-second stop."""
    rng = np.random.default_rng(7)
    out = np.zeros((int(SECONDS * RATE_HZ), 2))
    beat_s = 60.0 / BPM

    def hit(start_s: float, sound: Array, gains: tuple[float, float]) -> None:
        start = int(start_s * RATE_HZ)
        end = min(len(out), start + len(sound))
        out[start:end, 0] += gains[0] * sound[: end - start]
        out[start:end, 1] += gains[1] * sound[: end - start]

    t_kick = np.arange(int(0.4 * RATE_HZ)) / RATE_HZ
    # 120 Hz falling to 40 Hz in the first tens of milliseconds, ringing on for a quarter second.
    kick = np.sin(
        2 * np.pi * (40.0 * t_kick + 80.0 * 0.02 * (1 - np.exp(-t_kick / 0.02)))
    ) * np.exp(-t_kick / 0.12)
    t_short = np.arange(int(0.15 * RATE_HZ)) / RATE_HZ
    snare = rng.standard_normal(len(t_short)) * np.exp(-t_short / 0.03)
    hat = np.diff(rng.standard_normal(int(0.04 * RATE_HZ) + 1)) * np.exp(
        -np.arange(int(0.04 * RATE_HZ)) / (0.006 * RATE_HZ)
    )
    bars = int(SECONDS / (4 * beat_s))
    for bar in range(bars):
        start_s = bar * 4 * beat_s
        if 12.0 <= start_s < 14.0:
            continue  # the stop: digital silence
        gain = 0.3 + 0.7 * bar / max(1, bars - 1)
        for beat in range(4):
            at = start_s + beat * beat_s
            if beat % 2 == 0:
                hit(at, 0.9 * kick, (gain, gain))
            else:
                hit(at, 0.5 * snare, (gain, gain))
            for eighth in range(2):
                pan = (0.9, 0.2) if eighth == 0 else (0.2, 0.9)
                hit(at + eighth * beat_s / 2, 0.3 * hat, (gain * pan[0], gain * pan[1]))
        if bar % 2 == 1:  # a fill: sixteenth-note snares on the last beat
            for k in range(4):
                hit(start_s + 3 * beat_s + k * beat_s / 4, 0.35 * snare, (gain, gain))
    return out


# How far apart the two must be, per dimension: a step no rounding or placeholder makes.
MINIMUM_GAP = {name: 0.01 for name in DIMENSION_NAMES} | {
    "lufs": 1.0,
    "crest_db": 3.0,
    "bass_mid_ratio": 1.0,
    "tempo_bpm": 5.0,
    "dynamic_range_variation": 0.3,
    "loudness_variation_std": 0.5,
}
# Which of the two the definitions say is larger.
DRUMS_HIGHER = {
    "sub_bass_pct",
    "crest_db",
    "rhythm_stability",
    "transient_density",
    "silence_ratio",
    "spectral_flatness",
    "dynamic_range_variation",
    "loudness_variation_std",
    "stereo_width",
}
CHORD_HIGHER = {
    "harmonic_ratio",
    "pitch_stability",
    "chroma_energy",
    "peak_consistency",
    "phase_correlation",
}


@pytest.fixture(scope="module")
def signals() -> dict[str, Array]:
    return {"chord": steady_chord(), "drums": drum_loop()}


def _python(samples: Array) -> dict[str, float]:
    return compute_fingerprint(samples.astype(np.float32), RATE_HZ)


@pytest.mark.parametrize("implementation", ["rust", "python"])
def test_a_chord_and_a_drum_loop_differ_on_every_dimension(
    implementation: str, signals: dict[str, Array], rust_server: RustServer
) -> None:
    compute: Callable[[Array], dict[str, float]] = (
        (lambda s: rust_server.client.compute_samples(s.astype(np.float32), RATE_HZ))
        if implementation == "rust"
        else _python
    )
    chord, drums = compute(signals["chord"]), compute(signals["drums"])
    too_close = [
        f"{name}: chord {chord[name]:.4f}, drums {drums[name]:.4f}"
        for name in DIMENSION_NAMES
        if abs(chord[name] - drums[name]) < MINIMUM_GAP[name]
    ]
    assert too_close == []
    wrong_way = [name for name in DRUMS_HIGHER if drums[name] <= chord[name]] + [
        name for name in CHORD_HIGHER if chord[name] <= drums[name]
    ]
    assert wrong_way == [], {name: (chord[name], drums[name]) for name in wrong_way}
    # The loop's pulse, or its eighth-note octave; the chord has none (NO_PULSE_BPM).
    assert min(abs(drums["tempo_bpm"] - BPM * octave) for octave in (0.5, 1, 2)) < 1.0
    assert chord["tempo_bpm"] == NO_PULSE_BPM and chord["rhythm_stability"] == 0.0
