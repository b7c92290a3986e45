"""The track info view: file, format and mastering plan over three pictures — the 7-band
balance as bars, the track's place on the LWRP map, its short-term loudness before and
after mastering — with the fingerprint's 25 raw values one key (``v``) away.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.widgets import Static

from auralis_tui.api import ClientError
from auralis_tui.app.keys import INFO_KEYS, bindings
from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.band_bars import BandBars
from auralis_tui.app.widgets.loudness_chart import LoudnessChart
from auralis_tui.app.widgets.lwrp_plot import LwrpPlot
from auralis_tui.app.widgets.now_playing import eq_text, plan_text
from auralis_tui.engine.types import PlaybackSettings
from auralis_tui.format import field_text, tag_text, track_title
from shared.dimensions import DIMENSION_NAMES

RAW_KEY = INFO_KEYS[0].keys  # the key that shows the raw numbers
MEASURING = "measuring… (the server renders the track once for these settings)"


class TrackInfoScreen(ViewScreen):
    DEFAULT_CSS = """
    TrackInfoScreen #info-pictures {
        height: 11;
    }
    TrackInfoScreen #bands, TrackInfoScreen #lwrp, TrackInfoScreen #loudness {
        border: round $primary-darken-2;
        width: 1fr;
    }
    TrackInfoScreen #bands {
        height: 9;
    }
    TrackInfoScreen #lwrp {
        height: 11;
    }
    TrackInfoScreen #loudness {
        height: 16;
    }
    TrackInfoScreen #raw-values {
        display: none;
    }
    TrackInfoScreen .raw #raw-values {
        display: block;
    }
    TrackInfoScreen .raw .picture {
        display: none;
    }
    """
    BINDINGS = bindings(INFO_KEYS)

    raw: var[bool] = var(False)  # the 25 numbers instead of the pictures

    def content(self) -> ComposeResult:
        with VerticalScroll(id="info-scroll"):
            yield Static("", id="info", markup=False)  # tags are text
            with Horizontal(id="info-pictures", classes="picture"):
                yield BandBars(id="bands")
                yield LwrpPlot(id="lwrp")
            yield LoudnessChart(id="loudness", classes="picture")
            yield Static("", id="raw-values", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#info-scroll").border_title = "Track"
        self.query_one(BandBars).border_title = "Band balance (share of power)"
        self.query_one(LoudnessChart).border_title = "Short-term loudness, before and after"

    def viewed(self) -> None:
        self.load_info()

    def action_toggle_raw(self) -> None:
        self.raw = not self.raw

    def watch_raw(self, raw: bool) -> None:
        self.query_one("#info-scroll").set_class(raw, "raw")

    @work(exclusive=True, group="info")
    async def load_info(self) -> None:
        """The playing track's, or else the one under the library's cursor. A newer load
        cancels this one, so a slow loudness answer never lands on another track's view."""
        track_id = self.session.status().track_id
        if track_id is None:
            track_id = self.catalog.highlighted_id
        info = self.query_one("#info", Static)
        bands, lwrp = self.query_one(BandBars), self.query_one(LwrpPlot)
        chart, raw = self.query_one(LoudnessChart), self.query_one("#raw-values", Static)
        if track_id is None:
            info.update("Nothing selected.")
            return
        settings = self.session.settings
        try:
            track = await self.client.track(track_id)
            fingerprint = await self.client.get_json(f"/api/tracks/{track_id}/fingerprint")
            plan = await self.client.plan(track_id, settings.preset, settings.intensity)
        except ClientError as exc:
            info.update(str(exc))
            return
        info.update("\n".join(info_lines(track, fingerprint, plan, settings)))
        values = fingerprint.get("values")
        bands.message = f"fingerprint {fingerprint['status']}: no band balance yet"
        bands.values = values
        lwrp.show((plan["input_lufs"], plan["input_crest_db"]))
        raw.update("\n".join(raw_lines(fingerprint)))
        chart.show(None, MEASURING)
        try:
            series = await self.client.loudness(track_id, settings.preset, settings.intensity)
        except ClientError as exc:
            chart.show(None, str(exc))
            return
        chart.show(series)


def info_lines(
    track: dict[str, Any],
    fingerprint: dict[str, Any],
    plan: dict[str, Any],
    settings: PlaybackSettings,
) -> list[str]:
    return [
        track_title(track),
        *(tag_text(track, name) for name in ("artist", "album") if track.get(name)),
        field_text(track["path"]),
        f"{track['codec']} · {track['sample_rate_hz']} Hz · {track['channels']} ch",
        f"Mastering: {settings.preset} at {settings.intensity:.1f} — {plan_text(plan)}",
        *([f"  why: {plan['reason']}"] if plan.get("preset") == "auto" else []),
        f"  EQ {eq_text(plan)}",
        f"  gain {plan['makeup_db'] + plan['trim_db'] + plan['ceiling_trim_db']:+.1f} dB",
        f"Fingerprint: {fingerprint['status']} ({fingerprint.get('source') or '-'})"
        f" · {RAW_KEY}: the raw numbers",
    ]


def raw_lines(fingerprint: dict[str, Any]) -> list[str]:
    """The 25 values by name, in the SPEC §4 order."""
    values = fingerprint.get("values") or {}
    if not values:
        return [f"fingerprint {fingerprint['status']}: no values yet"]
    return [f"{name:<24} {values[name]:10.4f}" for name in DIMENSION_NAMES if name in values]
