"""The now-playing bar: what plays, where, how it is mastered, and how healthy the stream is.

The bar owns its refresh: a timer reads the session's status while its screen shows, and a
worker fetches the mastering plan when the track or its settings change. It tells its
screen when another queue entry starts playing (``NowPlayingBar.TrackChanged``).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.reactive import reactive, var
from textual.widget import Widget

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.app.catalog import Catalog, PlanKey
from auralis_tui.engine.session import Session, Status
from auralis_tui.format import duration_text, tag_text, track_title

REFRESH_S = 0.2

_STATE_GLYPHS = {
    "playing": "▶",
    "paused": "⏸",
    "buffering": "…",
    "reconnecting": "⟳",
    "idle": "■",
    "ended": "■",
}


def progress_bar(fraction: float, width: int) -> str:
    filled = round(min(1.0, max(0.0, fraction)) * width)
    return "━" * filled + "─" * (width - filled)


def plan_text(plan: dict[str, Any] | None) -> str:
    """Input → output loudness and the LWRP region the plan is in (and, for ``auto``, the
    preset it chose)."""
    if plan is None:
        return "plan …"
    chosen = f"auto → {plan['chosen_preset']} · " if plan.get("preset") == "auto" else ""
    return (
        f"{chosen}{plan['input_lufs']:.1f} → {plan['output_lufs_estimate']:.1f} LUFS"
        f" · {plan['region'].replace('_', '-')}"
    )


def eq_text(plan: dict[str, Any]) -> str:
    bands = [f"{band['freq_hz']:.0f} Hz {band['gain_db']:+.1f} dB" for band in plan["eq"]]
    return ", ".join(bands) or "flat"


def mode_text(status: Status) -> str:
    """Mute, shuffle and repeat, compactly: nothing at all when all are off (cmus: S R r)."""
    parts = ["muted"] * status.muted
    if status.shuffle != "off":
        parts.append(f"shuffle {status.shuffle}")
    if status.repeat != "off":
        parts.append(f"repeat {status.repeat}")
    return "".join(f" {part}" for part in parts)


def render_bar(
    status: Status,
    track: dict[str, Any] | None,
    plan: dict[str, Any] | None,
    fingerprint_status: str | None,
    width: int,
) -> Text:
    glyph = _STATE_GLYPHS.get(status.state, "?")
    text = Text(no_wrap=True, overflow="ellipsis")
    if track is None:
        text.append(f"{glyph} nothing playing", style="bold")
        if status.error:
            text.append(f"  {status.error}", style="bold red")
        text.append("\n\n")
    else:
        duration_s = track.get("duration_seconds") or 0.0
        clock = f"{duration_text(status.position_s)} / {duration_text(duration_s)}"
        title = f"{glyph} {track_title(track)}"
        tags = (tag_text(track, "artist"), tag_text(track, "album"))
        where = " — ".join(part for part in tags if part)
        text.append(title, style="bold")
        if where:
            text.append(f"  {where}", style="dim")
        text.append(f"  {clock}\n")
        fraction = status.position_s / duration_s if duration_s else 0.0
        text.append(progress_bar(fraction, max(10, width - 2)) + "\n", style="cyan")
    text.append(f"vol {round(status.volume * 100)}%", style="bold")
    text.append(mode_text(status), style="bold magenta")
    text.append(f"  {status.preset} {status.intensity:.1f} {status.loudness}")
    chosen = status.chosen
    if (chosen.preset, chosen.intensity) != (status.preset, status.intensity):
        text.append(f" → {chosen.preset} {chosen.intensity:.1f} next chunk", style="dim")
    if track is not None:
        text.append(f"  {plan_text(plan)}")
        text.append(f"  fp {fingerprint_status or '?'}")
    text.append(f"  buffer {status.buffered_chunks:.1f} chunks")
    if status.underruns:
        text.append(f"  underruns {status.underruns}", style="yellow")
    if status.state == "reconnecting":
        attempt = f" (attempt {status.retry_attempt})" if status.retry_attempt else ""
        text.append(f"  reconnecting{attempt}…", style="bold yellow")
    elif track is not None and status.error:
        text.append(f"  {status.error}", style="bold red")
    return text


class NowPlayingBar(Widget):
    status: reactive[Status | None] = reactive(None)
    plan: reactive[dict[str, Any] | None] = reactive(None)
    track: reactive[dict[str, Any] | None] = reactive(None)
    fingerprint: reactive[str | None] = reactive(None)
    plan_key: var[PlanKey | None] = var(None)  # the track and settings the plan is for

    class TrackChanged(Message):
        """Another queue entry (or none) is playing now."""

        def __init__(self, status: Status) -> None:
            super().__init__()
            self.status = status

    def __init__(self, client: AuralisClient, session: Session, catalog: Catalog) -> None:
        super().__init__(id="now-playing")
        self.client = client
        self.session = session
        self.catalog = catalog

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.poll)
        self.poll()

    def poll(self) -> None:
        """Read the session now (the timer's tick; the app calls it after a key changes it)."""
        if not self.screen.is_current:
            return  # another view is showing: its own bar does the work
        status = self.session.status()
        self.status = status
        self.track = self.catalog.track(status.track_id)
        self.fingerprint = self.catalog.fingerprint(status.track_id)
        if status.track_id is not None:
            self.plan_key = (status.track_id, status.preset, status.intensity)

    def watch_status(self, old: Status | None, new: Status | None) -> None:
        playing = (new.track_id, new.queue_index) if new is not None else None
        if new is not None and (old is None or (old.track_id, old.queue_index) != playing):
            self.post_message(self.TrackChanged(new))

    def watch_plan_key(self, key: PlanKey | None) -> None:
        self.plan = None if key is None else self.catalog.plan(key)
        if key is not None and self.plan is None:
            self.load_plan(key)

    @work(exclusive=True, group="plan")
    async def load_plan(self, key: PlanKey) -> None:
        try:
            plan = await self.client.plan(*key)
        except ClientError:
            self.set_reactive(NowPlayingBar.plan_key, None)  # the next tick asks again
            return
        self.catalog.set_plan(key, plan)
        if self.plan_key == key:
            self.plan = plan

    def render(self) -> Text:
        if self.status is None:
            return Text()
        return render_bar(self.status, self.track, self.plan, self.fingerprint, self.size.width)
