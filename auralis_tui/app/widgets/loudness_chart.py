"""Short-term loudness over the track, before and after mastering, as two lines: what the
mastering does to the track's level over time (a compressed chorus, a lifted verse) shows
as the gap between them.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from shared.loudness import LoudnessSeries

INPUT_COLOR = "cyan"
OUTPUT_COLOR = "orange"


def _points(
    times_s: list[float], readings: tuple[float | None, ...]
) -> tuple[list[float], list[float]]:
    """The readings that have a value: windows under the gate are left out (a gap)."""
    pairs = [(t, value) for t, value in zip(times_s, readings, strict=True) if value is not None]
    return [t for t, _ in pairs], [value for _, value in pairs]


class LoudnessChart(PlotextPlot):
    """Two lines, input and output LUFS per 3 s window; or a message while there are none."""

    DEFAULT_CSS = """
    LoudnessChart {
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        # label -> (times, LUFS) of each line drawn: what the chart shows, for tests and tools
        self.lines: dict[str, tuple[list[float], list[float]]] = {}

    def on_mount(self) -> None:
        super().on_mount()
        self.show(None, "no track")

    def show(self, series: LoudnessSeries | None, message: str = "") -> None:
        """Draw ``series``, or only ``message`` (e.g. while the server measures)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("time (s)")
        plt.ylabel("LUFS")
        self.lines = {}
        if series is None or not any(v is not None for v in series.input_lufs):
            plt.title(message or "the track is shorter than one 3 s window")
            self.refresh()
            return
        times_s = series.times_s()
        lines = {
            "input": (series.input_lufs, INPUT_COLOR),
            "output": (series.output_lufs, OUTPUT_COLOR),
        }
        for label, (readings, color) in lines.items():
            x, y = _points(times_s, readings)
            self.lines[label] = (x, y)
            plt.plot(x, y, label=label, color=color, marker="hd")
        plt.title(
            f"{series.window_s:.0f} s windows · integrated {series.input_integrated_lufs:.1f} → "
            f"{series.output_integrated_lufs:.1f} LUFS · {series.preset} at {series.intensity:.1f}"
        )
        self.refresh()
