"""Stream request parameters both sides validate the same way: preset, intensity, format,
loudness mode.

``loudness``: ``track`` levels each track to the preset's target; ``album`` gives every
track of an album one gain and one plan, so its quiet and loud tracks stay apart; ``auto``
(the default) is MPD's replaygain ``auto`` — album when the client plays an album in order.
Only the client knows its order, so it sends ``album`` then; the server plays ``auto`` as
``track``.
"""

from __future__ import annotations

import math

from shared.presets import DEFAULT_PRESET, PRESET_NAMES
from shared.wire import SampleFormat

DEFAULT_INTENSITY = 1.0
DEFAULT_FORMAT = SampleFormat.f32
LOUDNESS_MODES = ("track", "album", "auto")
DEFAULT_LOUDNESS = "auto"


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


def parse_loudness(value: str | None) -> str:
    """One of ``LOUDNESS_MODES`` (``DEFAULT_LOUDNESS`` when absent)."""
    if value is None or value == "":
        return DEFAULT_LOUDNESS
    if value not in LOUDNESS_MODES:
        raise ValueError(
            f"unknown loudness mode {value!r}; expected one of {', '.join(LOUDNESS_MODES)}"
        )
    return value


def served_loudness(requested: str) -> str:
    """What the server plays for a requested mode: ``auto`` is ``track`` unless asked album."""
    return "album" if requested == "album" else "track"
