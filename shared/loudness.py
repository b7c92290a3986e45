"""The loudness series of a track (``GET /api/tracks/{id}/loudness``): BS.1770 short-term
loudness before and after mastering, as the server sends it and the client reads it.

Window ``i`` covers ``[i·hop_s, i·hop_s + window_s)`` seconds of the track; only complete
windows are listed, so a track shorter than ``window_s`` has none. A window under the
BS.1770 absolute gate (−70 LUFS, digital silence included) is ``None``: JSON has no −inf.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

GATE_LUFS = -70.0


def series_value(lufs: float) -> float | None:
    """One reading as sent: rounded to 0.01 LU, ``None`` under the gate."""
    return round(lufs, 2) + 0.0 if math.isfinite(lufs) and lufs > GATE_LUFS else None


@dataclass(frozen=True)
class LoudnessSeries:
    track_id: int
    preset: str
    intensity: float
    render: str  # what decided the output: the stream's own identity (plan version and hash)
    window_s: float
    hop_s: float
    input_lufs: tuple[float | None, ...]
    output_lufs: tuple[float | None, ...]
    input_integrated_lufs: float
    output_integrated_lufs: float

    def __post_init__(self) -> None:
        if len(self.input_lufs) != len(self.output_lufs):
            raise ValueError(
                f"{len(self.input_lufs)} input windows but {len(self.output_lufs)} output windows"
            )

    @classmethod
    def measured(
        cls,
        track_id: int,
        preset: str,
        intensity: float,
        render: str,
        window_hop_s: tuple[float, float],
        input_lufs: Iterable[float],
        output_lufs: Iterable[float],
        integrated_lufs: tuple[float, float],
    ) -> LoudnessSeries:
        """From a meter's raw readings (−inf allowed), rounded and gated as sent."""
        return cls(
            track_id,
            preset,
            intensity,
            render,
            *window_hop_s,
            tuple(series_value(float(v)) for v in input_lufs),
            tuple(series_value(float(v)) for v in output_lufs),
            round(integrated_lufs[0], 2) + 0.0,
            round(integrated_lufs[1], 2) + 0.0,
        )

    def times_s(self) -> list[float]:
        """Where each window ends, in seconds: the time a meter shows its reading."""
        return [self.window_s + i * self.hop_s for i in range(len(self.input_lufs))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "track_id": self.track_id,
            "preset": self.preset,
            "intensity": self.intensity,
            "render": self.render,
            "window_s": self.window_s,
            "hop_s": self.hop_s,
            "input_integrated_lufs": self.input_integrated_lufs,
            "output_integrated_lufs": self.output_integrated_lufs,
            "input_lufs": list(self.input_lufs),
            "output_lufs": list(self.output_lufs),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoudnessSeries:
        """The response body; ``ValueError`` when it is not one."""
        try:
            return cls(
                track_id=int(data["track_id"]),
                preset=str(data["preset"]),
                intensity=float(data["intensity"]),
                render=str(data["render"]),
                window_s=float(data["window_s"]),
                hop_s=float(data["hop_s"]),
                input_lufs=_readings(data["input_lufs"]),
                output_lufs=_readings(data["output_lufs"]),
                input_integrated_lufs=float(data["input_integrated_lufs"]),
                output_integrated_lufs=float(data["output_integrated_lufs"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a loudness series: {exc!r}") from None


def _readings(values: Sequence[Any]) -> tuple[float | None, ...]:
    if not isinstance(values, list):
        raise TypeError(f"expected a list, got {type(values).__name__}")
    return tuple(None if value is None else float(value) for value in values)
