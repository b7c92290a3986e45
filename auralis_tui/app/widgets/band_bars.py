"""The fingerprint's 7-band balance as horizontal bars: which part of the spectrum the track's
power sits in, readable at a glance where seven fractions are not.

Bars are scaled to the largest band (the longest bar fills the width) and drawn to an
eighth of a cell, so their lengths are proportional to the values.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from shared.dimensions import DIMENSION_NAMES

BAND_NAMES: tuple[str, ...] = DIMENSION_NAMES[:7]
# SPEC §4 band edges, as the rows are labelled.
BAND_LABELS: dict[str, str] = {
    "sub_bass_pct": "sub-bass   20–60",
    "bass_pct": "bass      60–250",
    "low_mid_pct": "low-mid  250–500",
    "mid_pct": "mid      500–2k",
    "upper_mid_pct": "upper-mid  2k–4k",
    "presence_pct": "presence   4k–8k",
    "air_pct": "air        8k+",
}
_EIGHTHS = " ▏▎▍▌▋▊▉"
_LABEL_CELLS = 17
_VALUE_CELLS = 7


def bar_text(cells: float) -> str:
    """A bar ``cells`` long (rounded to an eighth): full blocks, then one partial block."""
    eighths = max(0, round(cells * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def bar_cells(text: str) -> float:
    """The length ``bar_text`` drew, in cells (what tests measure)."""
    return sum(1.0 if char == "█" else _EIGHTHS.index(char) / 8 for char in text if char != " ")


class BandBars(Widget):
    """Seven rows: band and range, the bar, the percentage. ``values`` None: a message."""

    DEFAULT_CSS = """
    BandBars {
        height: 7;
    }
    """

    values: reactive[dict[str, float] | None] = reactive(None, layout=False)
    message: reactive[str] = reactive("")

    def bar_width(self) -> int:
        return max(1, self.size.width - _LABEL_CELLS - _VALUE_CELLS - 2)

    def render(self) -> Text:
        values = self.values
        if values is None or not all(name in values for name in BAND_NAMES):
            return Text(self.message or "no band balance yet", style="dim")
        largest = max(values[name] for name in BAND_NAMES)
        width = self.bar_width()
        text = Text(no_wrap=True, overflow="crop")
        for row, name in enumerate(BAND_NAMES):
            value = values[name]
            cells = value / largest * width if largest > 0 else 0.0
            text.append(f"{BAND_LABELS[name]:<{_LABEL_CELLS}}", style="dim")
            text.append(f"{bar_text(cells):<{width}}", style="cyan")
            text.append(f" {100 * value:5.1f}%")
            if row < len(BAND_NAMES) - 1:
                text.append("\n")
        return text
