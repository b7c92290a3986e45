"""The now-playing bar: what plays, where, how it is mastered, and how healthy the stream is."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from auralis_tui.engine.session import Status
from auralis_tui.format import duration_text, track_title

_STATE_GLYPHS = {
    "playing": "▶",
    "paused": "⏸",
    "buffering": "…",
    "reconnecting": "⟳",
    "stopped": "■",
}


def progress_bar(fraction: float, width: int) -> str:
    filled = round(min(1.0, max(0.0, fraction)) * width)
    return "━" * filled + "─" * (width - filled)


def plan_text(plan: dict[str, Any] | None) -> str:
    """Input → output loudness and the LWRP region the plan is in."""
    if plan is None:
        return "plan …"
    return (
        f"{plan['input_lufs']:.1f} → {plan['output_lufs_estimate']:.1f} LUFS"
        f" · {plan['region'].replace('_', '-')}"
    )


def eq_text(plan: dict[str, Any]) -> str:
    bands = [f"{band['freq_hz']:.0f} Hz {band['gain_db']:+.1f} dB" for band in plan["eq"]]
    return ", ".join(bands) or "flat"


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
        where = " — ".join(part for part in (track.get("artist"), track.get("album")) if part)
        text.append(title, style="bold")
        if where:
            text.append(f"  {where}", style="dim")
        text.append(f"  {clock}\n")
        fraction = status.position_s / duration_s if duration_s else 0.0
        text.append(progress_bar(fraction, max(10, width - 2)) + "\n", style="cyan")
    text.append(f"vol {round(status.volume * 100)}%", style="bold")
    text.append(f"  {status.preset} {status.intensity:.1f}")
    if track is not None:
        text.append(f"  {plan_text(plan)}")
        text.append(f"  fp {fingerprint_status or '?'}")
    text.append(f"  buffer {status.buffered_chunks:.1f} chunks")
    if status.underruns:
        text.append(f"  underruns {status.underruns}", style="yellow")
    if status.state == "reconnecting":
        text.append(f"  reconnecting (attempt {status.retry_attempt})…", style="bold yellow")
    elif track is not None and status.error:
        text.append(f"  {status.error}", style="bold red")
    return text


class NowPlayingBar(Static):
    def show(
        self,
        status: Status,
        track: dict[str, Any] | None,
        plan: dict[str, Any] | None,
        fingerprint_status: str | None,
    ) -> None:
        self.update(render_bar(status, track, plan, fingerprint_status, self.size.width))
