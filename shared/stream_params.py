"""Stream request parameters both sides validate the same way: preset, intensity, format."""

from __future__ import annotations

import math

from shared.presets import DEFAULT_PRESET, PRESET_NAMES
from shared.wire import SampleFormat

DEFAULT_INTENSITY = 1.0
DEFAULT_FORMAT = SampleFormat.f32


def parse_preset(value: str | None) -> str:
    if value is None or value == "":
        return DEFAULT_PRESET
    if value not in PRESET_NAMES:
        raise ValueError(f"unknown preset {value!r}; expected one of {', '.join(PRESET_NAMES)}")
    return value


def parse_intensity(value: str | None) -> float:
    if value is None or value == "":
        return DEFAULT_INTENSITY
    try:
        intensity = float(value)
    except ValueError:
        raise ValueError(f"intensity must be a number in [0, 1], got {value!r}") from None
    if not math.isfinite(intensity) or not 0.0 <= intensity <= 1.0:
        raise ValueError(f"intensity must be a number in [0, 1], got {value!r}")
    return intensity


def parse_format(value: str | None) -> SampleFormat:
    if value is None or value == "":
        return DEFAULT_FORMAT
    return SampleFormat.from_name(value)
