"""``auralis ls QUERY``: every matching track, one line each, for scripts (``cut -f5``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from auralis_tui.api import AuralisClient
from auralis_tui.format import duration_text, field_text


def row(track: dict[str, Any]) -> str:
    """id, artist, album, number, title, length: six tab-separated fields on one line,
    whatever the tags hold (a tab or line break inside a tag prints as a space)."""
    tagged = [track[key] for key in ("id", "artist", "album", "track_no", "title")]
    fields = [*tagged, duration_text(track["duration_seconds"])]
    return "\t".join(field_text("" if field is None else field) for field in fields)


async def run(client: AuralisClient, args: argparse.Namespace) -> int:
    """Every match, printed a page at a time as the pages come (60 000 tracks stream out)."""
    printed = 0
    async for page in client.track_pages(" ".join(args.query) or None):
        for track in page:
            print(row(track))
        printed += len(page)
    if not printed:
        print("auralis: no track matches", file=sys.stderr)
        return 1
    return 0
