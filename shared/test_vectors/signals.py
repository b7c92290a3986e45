"""Synthesis of the test-vector signals from their JSON recipes.

Every recipe is simple enough to re-implement in any language (the Rust crate does): sines,
squares, clicks, glides, and white noise from a fixed 64-bit LCG so no library's random
generator is involved. Output is (frames, channels) float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
_LCG_MULTIPLIER = 6364136223846793005
_LCG_INCREMENT = 1442695040888963407


def lcg_uniform(count: int, seed: int) -> Array:
    """Uniform [-1, 1): state = state·6364136223846793005 + 1442695040888963407 mod 2⁶⁴,
    value = (state >> 11) / 2⁵³ · 2 − 1, the state advanced before each value."""
    mask = (1 << 64) - 1
    state = seed & mask
    draws = []
    for _ in range(count):
        state = (state * _LCG_MULTIPLIER + _LCG_INCREMENT) & mask
        draws.append(state >> 11)
    return np.array(draws, dtype=np.float64) / float(1 << 53) * 2.0 - 1.0


def _times(spec: dict[str, Any]) -> Array:
    return np.arange(round(spec["seconds"] * spec["rate_hz"])) / spec["rate_hz"]


def _amplitude(spec: dict[str, Any]) -> float:
    return float(10.0 ** (spec.get("level_dbfs", 0.0) / 20.0))


def _mono(spec: dict[str, Any]) -> Array:
    kind = spec["kind"]
    t = _times(spec)
    amplitude = _amplitude(spec)
    if kind == "sine":
        return amplitude * np.sin(2 * np.pi * spec["freq_hz"] * t)
    if kind == "sines":  # equal-amplitude partials
        return (
            amplitude
            * sum(np.sin(2 * np.pi * f * t) for f in spec["freqs_hz"])
            / len(spec["freqs_hz"])
        )
    if kind == "square":
        period = round(spec["rate_hz"] / spec["freq_hz"])
        return amplitude * np.where(np.arange(len(t)) % period < period // 2, 1.0, -1.0)
    if kind == "glide":  # exponential sweep
        f0, f1, seconds = spec["start_hz"], spec["end_hz"], spec["seconds"]
        rate = np.log(f1 / f0) / seconds
        return amplitude * np.sin(2 * np.pi * f0 * (np.exp(rate * t) - 1.0) / rate)
    if kind == "clicks":  # 5 ms decaying 2 kHz bursts at every beat, first at 0.25 s
        out = np.zeros(len(t))
        rate_hz = spec["rate_hz"]
        burst_t = np.arange(round(0.005 * rate_hz)) / rate_hz
        burst = np.sin(2 * np.pi * 2000.0 * burst_t) * np.exp(-burst_t / 0.0015)
        beat_s = 60.0 / spec["bpm"]
        for start_s in np.arange(0.25, spec["seconds"] - 0.01, beat_s):
            start = round(start_s * rate_hz)
            end = min(len(out), start + len(burst))
            out[start:end] += amplitude * burst[: end - start]
        return out
    if kind == "noise":
        return amplitude * lcg_uniform(len(t), spec.get("seed", 1))
    if kind == "silence":
        return np.zeros(len(t))
    raise ValueError(f"unknown signal kind {kind!r}")


def synthesize(spec: dict[str, Any]) -> Array:
    """The signal of a recipe: ``parts`` are concatenated and ``add`` layers mixed onto them;
    ``layout`` places the mono signal in the channels."""
    if "parts" in spec:
        pieces = [
            synthesize(
                {
                    **part,
                    "rate_hz": spec["rate_hz"],
                    "channels": spec.get("channels", 1),
                    "layout": spec.get("layout", "same"),
                }
            )
            for part in spec["parts"]
        ]
        joined = np.concatenate(pieces)
        for extra in spec.get("add", []):  # layers mixed onto the parts from the start
            layer = synthesize(
                {
                    **extra,
                    "rate_hz": spec["rate_hz"],
                    "channels": spec.get("channels", 1),
                    "layout": spec.get("layout", "same"),
                }
            )
            joined[: len(layer)] += layer[: len(joined)]
        return joined
    mono = _mono(spec)
    channels = spec.get("channels", 1)
    layout = spec.get("layout", "same")
    if channels == 1:
        return mono[:, None]
    out = np.zeros((len(mono), channels))
    if layout == "same":
        out[:] = mono[:, None]
    elif layout == "left_only":
        out[:, 0] = mono
    elif layout == "inverted":
        out[:, 0], out[:, 1] = mono, -mono
    else:
        raise ValueError(f"unknown layout {layout!r}")
    return out
