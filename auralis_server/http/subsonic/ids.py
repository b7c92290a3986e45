"""Subsonic ids: strings with a kind prefix, so a track never passes for an album.

``tr-12`` a track, ``pl-2`` a playlist (database ids); ``al-…`` an album and ``ar-…`` an
artist are the URL-safe base64 of the name the library groups by (``al-~``: the tracks
without the tag), so they survive rescans and need no table. A bare number is read as a
track id, as some clients build song ids themselves. ``1`` is the one music folder.
"""

from __future__ import annotations

import base64
import binascii

from auralis_server.http.subsonic.envelope import NOT_FOUND, SubsonicError

MUSIC_FOLDER_ID = 1
_NO_NAME = "~"
_MAX_ID = 2**63 - 1


def track_id(track: int) -> str:
    return f"tr-{track}"


def playlist_id(playlist: int) -> str:
    return f"pl-{playlist}"


def _name_id(prefix: str, name: str | None) -> str:
    if name is None:
        return prefix + _NO_NAME
    return prefix + base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


def album_id(name: str | None) -> str:
    return _name_id("al-", name)


def artist_id(name: str | None) -> str:
    return _name_id("ar-", name)


def kind_of(raw: str) -> str:
    """``track``, ``album``, ``artist``, ``playlist`` or ``unknown``."""
    if raw.isdigit():
        return "track"
    return {"tr-": "track", "al-": "album", "ar-": "artist", "pl-": "playlist"}.get(
        raw[:3], "unknown"
    )


def number_of(raw: str, kind: str) -> int:
    """The database id of a ``tr-`` or ``pl-`` id (or a bare number for a track)."""
    digits = raw if raw.isdigit() and kind == "track" else raw[3:]
    if kind_of(raw) != kind or not digits.isdigit() or int(digits) > _MAX_ID:
        raise SubsonicError(NOT_FOUND, f"{raw!r:.60} is not a {kind} id")
    return int(digits)


def name_of(raw: str, kind: str) -> str | None:
    """The album or artist name an ``al-`` or ``ar-`` id carries."""
    if kind_of(raw) != kind:
        raise SubsonicError(NOT_FOUND, f"{raw!r:.60} is not an {kind} id")
    encoded = raw[3:]
    if encoded == _NO_NAME:
        return None
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, ValueError):
        raise SubsonicError(NOT_FOUND, f"{raw!r:.60} is not an {kind} id") from None
