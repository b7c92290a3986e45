"""Write vectors.json: test signals as recipes, with answers known independently of any meter.

Run ``python -m shared.test_vectors.generate`` after changing a recipe or an expectation;
``--wav DIR`` also writes each signal as a float32 WAV for implementations that would
rather read than synthesise. The expectations come from the signals' mathematics (a sine's
crest is 20·log10(√2), a −23 dBFS 1 kHz stereo sine reads −23 LUFS per EBU Tech 3341, a
click every 0.5 s is 120 BPM) — never from running our own code.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).with_name("vectors.json")
NYQUIST_HZ = 11025.0
SINE_CREST_DB = 20 * math.log10(math.sqrt(2))
EULER_GAMMA = 0.5772156649015329


def near(value: float, tolerance: float) -> dict[str, float]:
    return {"value": value, "tolerance": tolerance}


def at_least(value: float) -> dict[str, float]:
    return {"min": value}


def at_most(value: float) -> dict[str, float]:
    return {"max": value}


def _stereo_sines(layout: str) -> dict[str, Any]:
    """Three sines on two channels, the right one ``layout`` to the left (same, inverted…)."""
    return {
        "kind": "sines",
        "rate_hz": 44100,
        "seconds": 5,
        "channels": 2,
        "freqs_hz": [220, 1330, 5100],
        "layout": layout,
    }


def _ebu_sine_1k(level_dbfs: int) -> dict[str, Any]:
    """EBU Tech 3341 cases 1 and 2: a 1 kHz stereo sine at ``level_dbfs`` reads that many LUFS."""
    signal = {"kind": "sine", "rate_hz": 48000, "seconds": 20, "channels": 2, "freq_hz": 1000}
    return {
        "name": f"sine_1k_{level_dbfs}dbfs_stereo",
        "signal": {**signal, "level_dbfs": level_dbfs},
        "expect": {"lufs": near(float(level_dbfs), 0.1)},
    }


def _sine_steps(*steps: tuple[int, int]) -> dict[str, Any]:
    """A 1 kHz stereo sine at 48 kHz in (seconds, level dBFS) steps, one after another."""
    parts = [
        {"kind": "sine", "seconds": seconds, "freq_hz": 1000, "level_dbfs": level_dbfs}
        for seconds, level_dbfs in steps
    ]
    return {"rate_hz": 48000, "channels": 2, "parts": parts}


def _vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = [
        {
            "name": "sine_1k_full_scale_mono",
            "signal": {
                "kind": "sine",
                "rate_hz": 44100,
                "seconds": 10,
                "channels": 1,
                "freq_hz": 1000,
            },
            "expect": {
                "mid_pct": at_least(0.99),
                "spectral_centroid": near(1000 / NYQUIST_HZ, 0.02 * 1000 / NYQUIST_HZ),
                # all the power sits in the bins next to 1 kHz: the 85 % point is there
                "spectral_rolloff": near(1000 / NYQUIST_HZ, 0.02 * 1000 / NYQUIST_HZ),
                "rhythm_stability": near(0.0, 0.0),  # a steady tone has no beats
                "dynamic_range_variation": near(0.0, 0.01),
                "loudness_variation_std": near(0.0, 0.01),
                "crest_db": near(SINE_CREST_DB, 0.05),
                "spectral_flatness": at_most(0.01),
                "harmonic_ratio": at_least(0.9),
                "chroma_energy": at_least(0.9),
                "stereo_width": near(0.0, 1e-9),
                "phase_correlation": near(1.0, 1e-9),
                "silence_ratio": near(0.0, 1e-9),
                "peak_consistency": near(1.0, 0.01),
                "pitch_stability": at_least(0.95),
                "transient_density": at_most(0.02),
            },
        },
        {
            "name": "square_100hz_full_scale",
            "signal": {
                "kind": "square",
                "rate_hz": 48000,
                "seconds": 10,
                "channels": 2,
                "freq_hz": 100,
            },
            "expect": {"crest_db": near(0.0, 0.05), "peak_consistency": near(1.0, 1e-9)},
        },
        {
            "name": "tone_then_digital_silence",
            "signal": {
                "rate_hz": 44100,
                "channels": 2,
                "parts": [
                    {"kind": "sine", "seconds": 10, "freq_hz": 440, "level_dbfs": -12},
                    {"kind": "silence", "seconds": 10},
                ],
            },
            "expect": {"silence_ratio": near(0.5, 0.02)},
        },
        {
            "name": "steady_440",
            "signal": {
                "kind": "sine",
                "rate_hz": 22050,
                "seconds": 10,
                "channels": 1,
                "freq_hz": 440,
                "level_dbfs": -6,
            },
            "expect": {"pitch_stability": at_least(0.95), "chroma_energy": at_least(0.95)},
        },
        {
            "name": "glide_two_octaves",
            "signal": {
                "kind": "glide",
                "rate_hz": 22050,
                "seconds": 20,
                "channels": 1,
                "start_hz": 110,
                "end_hz": 440,
                "level_dbfs": -6,
            },
            "expect": {"pitch_stability": at_most(0.3)},
        },
        {
            "name": "left_equals_right",
            "signal": _stereo_sines("same"),
            "expect": {"stereo_width": near(0.0, 1e-9), "phase_correlation": near(1.0, 1e-9)},
        },
        {
            "name": "left_equals_minus_right",
            "signal": _stereo_sines("inverted"),
            "expect": {"stereo_width": near(1.0, 1e-9), "phase_correlation": near(-1.0, 1e-9)},
        },
        {
            "name": "white_noise",
            "signal": {
                "kind": "noise",
                "rate_hz": 22050,
                "seconds": 10,
                "channels": 1,
                "seed": 7,
                "level_dbfs": -6,
            },
            # Periodogram bins of white noise are exponentially distributed: E[log]/log E = e^−γ.
            "expect": {
                "spectral_flatness": near(math.exp(-EULER_GAMMA), 0.05),
                "pitch_stability": at_most(0.5),
                # equal energy per pitch class puts Σc² near its floor of 1/12
                "chroma_energy": at_most(0.1),
            },
        },
        _ebu_sine_1k(-23),
        _ebu_sine_1k(-33),
        {
            "name": "stepped_-36_-23_-36",
            "signal": _sine_steps((10, -36), (60, -23), (10, -36)),
            "expect": {"lufs": near(-23.0, 0.1)},
        },
        {
            "name": "silence",
            "signal": {"kind": "silence", "rate_hz": 44100, "seconds": 5, "channels": 2},
            "expect": {
                "lufs": near(-70.0, 0.0),
                "crest_db": near(0.0, 0.0),
                "silence_ratio": near(1.0, 0.0),
                "tempo_bpm": near(120.0, 0.0),
                "rhythm_stability": near(0.0, 0.0),
                "transient_density": near(0.0, 0.0),
                "harmonic_ratio": near(0.0, 0.0),
                "pitch_stability": near(0.0, 0.0),
                "chroma_energy": near(1 / 12, 1e-9),
                "stereo_width": near(0.0, 0.0),
                "phase_correlation": near(1.0, 0.0),
                "bass_mid_ratio": near(0.0, 0.0),
                "mid_pct": near(0.0, 0.0),
            },
        },
        {
            "name": "bass_and_mid_equal",
            "signal": {
                "kind": "sines",
                "rate_hz": 44100,
                "seconds": 10,
                "channels": 1,
                "freqs_hz": [120, 1000],
            },
            "expect": {"bass_mid_ratio": near(0.0, 0.1)},
        },
    ]
    vectors.append(
        {
            "name": "bass_6db_over_mid",
            "signal": {
                "rate_hz": 44100,
                "channels": 1,
                "parts": [
                    {"kind": "sine", "seconds": 10, "freq_hz": 120, "level_dbfs": -6},
                ],
                "add": [{"kind": "sine", "seconds": 10, "freq_hz": 1000, "level_dbfs": -12}],
            },
            "expect": {"bass_mid_ratio": near(6.0, 0.1)},
        }
    )
    # Per-second crest alternates 3.01 dB (sine) and 0 dB (square): population std 1.505 dB.
    vectors.append(
        {
            "name": "sine_square_alternating_seconds",
            "signal": {
                "rate_hz": 44100,
                "channels": 2,
                "parts": [
                    {"kind": "sine" if index % 2 == 0 else "square", "seconds": 1, "freq_hz": 441}
                    for index in range(20)
                ],
            },
            "expect": {
                "dynamic_range_variation": near(SINE_CREST_DB / 2, 0.03),
                "peak_consistency": near(1.0, 0.001),
            },
        }
    )
    # Per-second peaks alternate 1 and 1/2: mean 3/4, std 1/4, 1 / (1 + 1/3) = 0.75.
    vectors.append(
        {
            "name": "peaks_alternating_full_and_half",
            "signal": {
                "rate_hz": 44100,
                "channels": 1,
                "parts": [
                    {
                        "kind": "sine",
                        "seconds": 1,
                        "freq_hz": 441,
                        "level_dbfs": 0.0 if index % 2 == 0 else -6.020599913,
                    }
                    for index in range(20)
                ],
            },
            "expect": {"peak_consistency": near(0.75, 0.002)},
        }
    )
    # 3 s windows every 1 s over 30 s at −20 dBFS then 30 s at −30: 28 windows at L, 28 at
    # L − 10, and two straddling ones at L + 10·log10(0.7) and L + 10·log10(0.4): std 4.935 LU.
    vectors.append(
        {
            "name": "loudness_step_10_lu",
            "signal": _sine_steps((30, -20), (30, -30)),
            "expect": {"loudness_variation_std": near(_step_std(), 0.05)},
        }
    )
    for bpm in (60, 90, 120, 128, 174):
        vectors.append(
            {
                "name": f"clicks_{bpm}_bpm",
                "signal": {
                    "kind": "clicks",
                    "rate_hz": 44100,
                    "seconds": 30,
                    "channels": 1,
                    "bpm": bpm,
                },
                "expect": {
                    "tempo_bpm": near(float(bpm), 1.0),
                    "rhythm_stability": at_least(0.9),
                    "transient_density": near(bpm / 60 / 10, 0.02),
                    "harmonic_ratio": at_most(0.2),
                },
            }
        )
    for freq_hz, band in (
        (40, "sub_bass_pct"),
        (150, "bass_pct"),
        (350, "low_mid_pct"),
        (1000, "mid_pct"),
        (3000, "upper_mid_pct"),
        (6000, "presence_pct"),
        (10000, "air_pct"),
    ):
        vectors.append(
            {
                "name": f"band_{band}",
                "signal": {
                    "kind": "sine",
                    "rate_hz": 44100,
                    "seconds": 5,
                    "channels": 1,
                    "freq_hz": freq_hz,
                    "level_dbfs": -6,
                },
                "expect": {band: at_least(0.98)},
            }
        )
    for rate_hz in (44100, 48000, 96000):
        vectors.append(
            {
                "name": f"sine_997_one_channel_full_scale_{rate_hz}",
                "signal": {
                    "kind": "sine",
                    "rate_hz": rate_hz,
                    "seconds": 20,
                    "channels": 2,
                    "freq_hz": 997,
                    "layout": "left_only",
                },
                "expect": {"lufs": near(-3.01, 0.05)},
            }
        )
    return vectors


def _step_std() -> float:
    levels = [0.0] * 28 + [-10.0] * 28 + [10 * math.log10(0.7), 10 * math.log10(0.4)]
    mean = sum(levels) / len(levels)
    return math.sqrt(sum((level - mean) ** 2 for level in levels) / len(levels))


def document() -> dict[str, Any]:
    return {
        "description": "Fingerprint test vectors (SPEC §4): synthesise each signal from its recipe "
        "(shared/test_vectors/signals.py), compute the fingerprint, check every expectation: "
        "'value'±'tolerance', or 'min'/'max' bounds.",
        "vectors": _vectors(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wav", type=Path, help="also write each signal as DIR/NAME.wav (float32)")
    args = parser.parse_args()
    doc = document()
    VECTORS_PATH.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(doc['vectors'])} vectors to {VECTORS_PATH}")
    if args.wav:
        import soundfile

        from shared.test_vectors.signals import synthesize

        args.wav.mkdir(parents=True, exist_ok=True)
        for vector in doc["vectors"]:
            signal = vector["signal"]
            soundfile.write(
                args.wav / f"{vector['name']}.wav",
                synthesize(signal),
                signal["rate_hz"],
                subtype="FLOAT",
            )


if __name__ == "__main__":
    main()
