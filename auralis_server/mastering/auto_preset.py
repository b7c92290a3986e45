"""``preset=auto``: a rule table over the fingerprint picks the preset (issue 14 item 3).

The rules read only what the plan reads — integrated loudness, crest factor and the seven
band fractions — so a cold plan (``plan_inputs``) and the stored fingerprint pick the same
preset, and chunks rendered before and after the fingerprint arrives share one plan. The
other dimensions (tempo, transient density, …) are not computed on the cold path.

Levels are in dB outside the EQ's reference span (``eq.group_deviations_db``: 0 anywhere
between the measured game-soundtrack masters and the published commercial tilt): *low* is
20–250 Hz, *high* 4–11 kHz. First match wins:

====  ==============================================  ========  =================================
rule  condition                                       preset    why
====  ==============================================  ========  =================================
1     no spectrum (digital silence)                   adaptive  nothing to judge
2     lufs > −12 and crest < 13 dB (compressed-loud)  gentle    LWRP: leave a dense master alone
3     high ≤ −4 dB                                    bright    dark spectrum
4     low ≤ −4 dB or high ≥ +4 dB                     warm      thin or harsh spectrum
5     low ≥ +2 dB and crest ≥ 16 dB                   punchy    dense low end, strong transients
6     otherwise                                       adaptive  balanced enough to correct gently
====  ==============================================  ========  =================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from auralis_server.mastering.eq import group_deviations_db
from shared.lwrp import CREST_THRESHOLD_DB, LOUD_THRESHOLD_LUFS
from shared.presets import AUTO_PRESET

DARK_DB = -4.0
THIN_DB = -4.0
HARSH_DB = 4.0
DENSE_LOW_DB = 2.0
STRONG_TRANSIENT_CREST_DB = 16.0
# The EQ's five groups, low to high: rules read the first (low) and the last (high).
GROUPS = (
    ("sub_bass_pct", "bass_pct"),
    ("low_mid_pct",),
    ("mid_pct",),
    ("upper_mid_pct",),
    ("presence_pct", "air_pct"),
)


@dataclass(frozen=True)
class Choice:
    preset: str
    reason: str  # one line, for the plan JSON and the `master` summary


def choose_preset(lufs: float, crest_db: float, bands: dict[str, float]) -> Choice:
    """The rule table above, for a track's (rounded) plan inputs."""
    if sum(bands.values()) <= 0:
        return Choice("adaptive", "auto: no spectrum to judge (silence)")
    if lufs > LOUD_THRESHOLD_LUFS and crest_db < CREST_THRESHOLD_DB:
        return Choice(
            "gentle",
            f"auto: compressed-loud ({lufs:.1f} LUFS, crest {crest_db:.1f} dB < "
            f"{CREST_THRESHOLD_DB:g}): leave its dynamics alone",
        )
    # an empty group (nan) is as far below the span as can be
    low_db, high_db = (
        -math.inf if math.isnan(value) else value
        for value in group_deviations_db(bands, GROUPS)[:: len(GROUPS) - 1]
    )
    if high_db <= DARK_DB:
        return Choice("bright", f"auto: dark spectrum (above 4 kHz {high_db:+.1f} dB)")
    if low_db <= THIN_DB or high_db >= HARSH_DB:
        return Choice(
            "warm",
            f"auto: thin or harsh spectrum (below 250 Hz {low_db:+.1f} dB, "
            f"above 4 kHz {high_db:+.1f} dB)",
        )
    if low_db >= DENSE_LOW_DB and crest_db >= STRONG_TRANSIENT_CREST_DB:
        return Choice(
            "punchy",
            f"auto: dense low end ({low_db:+.1f} dB below 250 Hz) with strong transients "
            f"(crest {crest_db:.1f} dB)",
        )
    return Choice("adaptive", "auto: balanced spectrum and dynamics")


def resolve_preset(asked: str, lufs: float, crest_db: float, bands: dict[str, float]) -> Choice:
    """The preset a plan uses: the rule table's for ``auto``, else the one asked for."""
    if asked == AUTO_PRESET:
        return choose_preset(lufs, crest_db, bands)
    return Choice(asked, "asked for")
