"""The mastering presets (SPEC §5): their names, which both sides validate and cycle through,
and what each one asks of the plan. The server's planner reads the numbers; the client only
needs the names and target loudness, but one table keeps the two from drifting apart.
``PRESET_NAMES`` (what requests accept and the client cycles) adds ``auto``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """``eq_tilt_db`` per EQ band (low shelf, 350 Hz, 1 kHz, 3 kHz, high shelf); ``ratio`` and
    ``threshold_over_rms_db`` of the quiet region's compressor; ``expansion`` of the
    compressed-loud region's transient expander; ``transient_emphasis`` in the quiet region.
    """

    eq_tilt_db: tuple[float, float, float, float, float]
    ratio: float
    target_lufs: float
    threshold_over_rms_db: float
    expansion: float
    transient_emphasis: float = 0.0


PRESETS: dict[str, Preset] = {
    "adaptive": Preset((0.0, 0.0, 0.0, 0.0, 0.0), 2.5, -14.0, 4.0, 0.5),
    "gentle": Preset((0.0, 0.0, 0.0, 0.0, 0.0), 1.5, -16.0, 6.0, 0.4),
    "warm": Preset((3.0, 0.0, -0.5, -1.0, -2.0), 2.0, -14.0, 4.0, 0.4),
    "bright": Preset((-1.0, -0.5, 0.0, 1.5, 3.0), 2.5, -14.0, 4.0, 0.5),
    "punchy": Preset((3.0, -1.0, 0.0, 1.0, 0.5), 3.5, -12.0, 2.0, 0.7, transient_emphasis=0.3),
}
# ``auto`` has no numbers of its own: the server's rule table picks one of PRESETS per track
# (auralis_server/mastering/auto_preset.py) and the plan says which (``chosen_preset``).
AUTO_PRESET = "auto"
PRESET_NAMES: tuple[str, ...] = (*PRESETS, AUTO_PRESET)
DEFAULT_PRESET = "adaptive"
