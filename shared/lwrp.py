"""Where the LWRP regions meet (SPEC §5): the planner blends its regions around these lines,
and the TUI draws them under a track's (loudness, crest) point.

- compressed-loud: lufs > LOUD_THRESHOLD_LUFS and crest < CREST_THRESHOLD_DB
- dynamic-loud: lufs > LOUD_THRESHOLD_LUFS and crest ≥ CREST_THRESHOLD_DB
- quiet: lufs ≤ LOUD_THRESHOLD_LUFS

Each boundary is a smooth blend ``BLEND_HALF_WIDTH`` either side (LU or dB).
"""

from __future__ import annotations

LOUD_THRESHOLD_LUFS = -12.0
CREST_THRESHOLD_DB = 13.0
BLEND_HALF_WIDTH = 1.0
