"""How tracks and times read on a terminal line; shared by the CLI and the TUI."""

from __future__ import annotations

import re
from typing import Any


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-:--"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def track_title(track: dict[str, Any]) -> str:
    """The title, with the file name standing in for a missing one."""
    return field_text(track.get("title") or str(track.get("path", "")).rsplit("/", 1)[-1])


def tag_text(track: dict[str, Any], name: str) -> str:
    """A tag as one line of text ("" when missing): tags may hold tabs and line breaks."""
    return field_text(track.get(name) or "")


_MARKS = {"complete": "●", "processing": "◐", "pending": "○", "error": "✗"}


def fingerprint_mark(status: str | None) -> str:
    """One glyph per fingerprint status, so a column stays narrow."""
    return _MARKS.get(status or "", "?")


# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_LINE_BREAKERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def field_text(value: object) -> str:
    """``value`` as one field of a tab-separated line: a tab, newline or other control
    character in a tag becomes a space, so every row keeps its line and its columns."""
    return _LINE_BREAKERS.sub(" ", str(value))
