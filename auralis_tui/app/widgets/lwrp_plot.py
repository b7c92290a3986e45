"""Where the track sits on the LWRP map (SPEC §5): integrated loudness across, crest factor
up, the region boundaries drawn, so "why is this track treated so" is one look.

The point is the plan's own input (``input_lufs``, ``input_crest_db``): the numbers the
mastering decided by, whether they came from the fingerprint or a cold read.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from shared.lwrp import CREST_THRESHOLD_DB, LOUD_THRESHOLD_LUFS

# The axes show at least this much of the map, and widen to keep an unusual track on it.
LUFS_RANGE = (-30.0, -4.0)
CREST_RANGE_DB = (4.0, 24.0)
TRACK_COLOR = "orange"
BOUNDARY_COLOR = "gray"


class LwrpPlot(PlotextPlot):
    """The three regions and the track's point; ``position`` None draws the map alone."""

    BORDER_TITLE = "LWRP region: loudness (LUFS) →, crest (dB) ↑"

    DEFAULT_CSS = """
    LwrpPlot {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.position: tuple[float, float] | None = None  # (lufs, crest_db)

    def on_mount(self) -> None:
        super().on_mount()
        self.show(None)

    def show(self, position: tuple[float, float] | None) -> None:
        """Redraw with the track at ``position`` (LUFS, dB)."""
        self.position = position
        lufs_low, lufs_high = LUFS_RANGE
        crest_low, crest_high = CREST_RANGE_DB
        if position is not None:
            lufs_low, lufs_high = min(lufs_low, position[0] - 1), max(lufs_high, position[0] + 1)
            crest_low, crest_high = (
                min(crest_low, position[1] - 1),
                max(crest_high, position[1] + 1),
            )
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlim(lufs_low, lufs_high)
        plt.ylim(crest_low, crest_high)
        plt.xticks([lufs_low, LOUD_THRESHOLD_LUFS, lufs_high])  # the ends and the boundaries
        plt.yticks([crest_low, CREST_THRESHOLD_DB, crest_high])
        plt.plot(
            [LOUD_THRESHOLD_LUFS, LOUD_THRESHOLD_LUFS], [crest_low, crest_high],
            color=BOUNDARY_COLOR, marker="│",
        )  # fmt: skip
        plt.plot(
            [LOUD_THRESHOLD_LUFS, lufs_high], [CREST_THRESHOLD_DB, CREST_THRESHOLD_DB],
            color=BOUNDARY_COLOR, marker="─",
        )  # fmt: skip
        quiet_x, loud_x = (
            (lufs_low + LOUD_THRESHOLD_LUFS) / 2,
            (LOUD_THRESHOLD_LUFS + lufs_high) / 2,
        )
        for label, x, y in (  # each name in the middle of its region, clear of the lines
            ("quiet", quiet_x, (crest_low + crest_high) / 2),
            ("dynamic-loud", loud_x, (CREST_THRESHOLD_DB + crest_high) / 2),
            ("compressed-loud", loud_x, (crest_low + CREST_THRESHOLD_DB) / 2),
        ):
            plt.text(label, x, y, color=BOUNDARY_COLOR, alignment="center")
        if position is not None:
            plt.scatter([position[0]], [position[1]], color=TRACK_COLOR, marker="●")
        # the axes' names and the point's numbers go on the border: every row is for the map
        self.border_subtitle = (
            f"● {position[0]:.1f} LUFS, crest {position[1]:.1f} dB" if position else ""
        )
        self.refresh()
