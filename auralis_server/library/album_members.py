"""The tracks of a track's album, for album loudness (``loudness=album``).

An album is the tracks sharing an ``album`` tag, the key ``/api/albums`` groups by. A track
without the tag belongs to no album here: grouping every untagged track into one "album"
would level a whole library together, so such a track plays in track mode.
"""

from __future__ import annotations

from auralis_server.audio.track import TrackAudio
from auralis_server.library.errors import TrackUnplayable
from auralis_server.library.models import Track
from auralis_server.library.queries import playable_audio


def album_audio(track_id: int, chunk_seconds: float) -> list[TrackAudio] | None:
    """The playable tracks of the track's album, in album order; None without an album tag.

    Tracks that cannot be read now (a scan error, a missing file) are left out.
    """
    track = Track.get_or_none(Track.id == track_id)
    if track is None or not track.album:
        return None
    rows = (
        Track.select()
        .where((Track.album == track.album) & Track.scan_error.is_null())
        .order_by(Track.disc_no, Track.track_no, Track.title, Track.id)
    )
    members = []
    for row in rows:
        try:
            members.append(playable_audio(row, chunk_seconds))
        except TrackUnplayable:
            continue
    return members
