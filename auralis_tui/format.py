"""How tracks and times read on a terminal line; shared by the CLI and the TUI."""

from __future__ import annotations

from typing import Any


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-:--"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def track_title(track: dict[str, Any]) -> str:
    """The title, with the file name standing in for a missing one."""
    return track.get("title") or str(track.get("path", "")).rsplit("/", 1)[-1]


_MARKS = {"complete": "●", "processing": "◐", "pending": "○", "error": "✗"}


def fingerprint_mark(status: str | None) -> str:
    """One glyph per fingerprint status, so a column stays narrow."""
    return _MARKS.get(status or "", "?")
