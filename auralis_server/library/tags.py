"""Tag reading with mutagen, normalised across Vorbis comments, ID3 (MP3/WAV/AIFF) and MP4."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import mutagen

# Normalised name -> keys to try: Vorbis/easy names first, then ID3 frame ids.
_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "TIT2"),
    "artist": ("artist", "TPE1"),
    "album": ("album", "TALB"),
    "album_artist": ("albumartist", "album artist", "album_artist", "TPE2"),
    "track_no": ("tracknumber", "TRCK"),
    "disc_no": ("discnumber", "TPOS"),
    "year": ("date", "year", "originaldate", "TDRC", "TYER", "TDOR"),
    "genre": ("genre", "TCON"),
}
_LEADING_INT = re.compile(r"\s*(\d+)")


def _first_text(tags: Any, key: str) -> str | None:
    try:
        value = tags.get(key)
    except (KeyError, ValueError, TypeError):
        return None
    if value is None:
        return None
    if hasattr(value, "text"):  # ID3 frame
        value = value.text
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None


def _leading_int(text: str | None) -> int | None:
    match = _LEADING_INT.match(text or "")
    return int(match.group(1)) if match else None


def read_tags(path: Path) -> dict[str, str | int | None]:
    """Tags of ``path`` as the Track columns; missing ones are None. Never raises for bad tags."""
    try:
        parsed = mutagen.File(str(path), easy=True)
    except Exception:  # a broken tag block must not hide the audio
        parsed = None
    tags = getattr(parsed, "tags", None) if parsed is not None else None
    found: dict[str, str | None] = {name: None for name in _KEYS}
    if tags is not None:
        lowered = _lowercase_view(tags)
        for name, keys in _KEYS.items():
            for key in keys:
                found[name] = _first_text(lowered if key.islower() else tags, key)
                if found[name]:
                    break
    return {
        "title": found["title"] or path.stem,
        "artist": found["artist"],
        "album": found["album"],
        "album_artist": found["album_artist"],
        "track_no": _leading_int(found["track_no"]),
        "disc_no": _leading_int(found["disc_no"]),
        "year": _leading_int(found["year"]),
        "genre": found["genre"],
    }


def _lowercase_view(tags: Any) -> dict[str, Any]:
    try:
        return {str(key).lower(): tags[key] for key in tags.keys()}
    except (TypeError, ValueError, KeyError):
        return {}
