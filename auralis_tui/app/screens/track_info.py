"""The track info view: file, format, the mastering plan and the fingerprint's values."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from auralis_tui.api import ClientError
from auralis_tui.app.screens.view import ViewScreen
from auralis_tui.app.widgets.now_playing import eq_text, plan_text
from auralis_tui.engine.types import PlaybackSettings
from auralis_tui.format import field_text, tag_text, track_title
from shared.dimensions import DIMENSION_NAMES


class TrackInfoScreen(ViewScreen):
    def content(self) -> ComposeResult:
        with VerticalScroll(id="info-scroll"):
            yield Static("", id="info", markup=False)  # tags are text

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#info-scroll").border_title = "Track"

    def viewed(self) -> None:
        self.load_info()

    @work(exclusive=True, group="info")
    async def load_info(self) -> None:
        """The playing track's, or else the one under the library's cursor."""
        track_id = self.session.status().track_id
        if track_id is None:
            track_id = self.catalog.highlighted_id
        info = self.query_one("#info", Static)
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


def info_lines(
    track: dict[str, Any],
    fingerprint: dict[str, Any],
    plan: dict[str, Any],
    settings: PlaybackSettings,
) -> list[str]:
    lines = [
        track_title(track),
        *(tag_text(track, name) for name in ("artist", "album") if track.get(name)),
        field_text(track["path"]),
        f"{track['codec']} · {track['sample_rate_hz']} Hz · {track['channels']} ch",
        "",
        f"Mastering: {settings.preset} at {settings.intensity:.1f} — {plan_text(plan)}",
        f"  EQ {eq_text(plan)}",
        f"  gain {plan['makeup_db'] + plan['trim_db'] + plan['ceiling_trim_db']:+.1f} dB",
        "",
        f"Fingerprint: {fingerprint['status']} ({fingerprint.get('source') or '-'})",
    ]
    values = fingerprint.get("values") or {}
    return lines + [
        f"  {name:<24} {values[name]:10.4f}" for name in DIMENSION_NAMES if name in values
    ]
