"""Track metadata for the player, fetched once per track, with why a track cannot play."""

from __future__ import annotations

from typing import Any

from auralis_tui.api import AuralisClient, TrackUnavailable
from auralis_tui.engine.timeline import geometry_of


class TrackDirectory:
    def __init__(self, client: AuralisClient) -> None:
        self._client = client
        self._tracks: dict[int, dict[str, Any]] = {}

    def known(self, track_id: int) -> dict[str, Any] | None:
        """The metadata if already fetched (no await: for snapshots)."""
        return self._tracks.get(track_id)

    async def playable(self, track_id: int) -> tuple[dict[str, Any] | None, str]:
        """(metadata, "") for a track the server can stream; (None, the reason) otherwise."""
        try:
            if track_id not in self._tracks:
                self._tracks[track_id] = await self._client.track(track_id, wait_for_server=True)
        except TrackUnavailable as exc:
            return None, str(exc)
        track = self._tracks[track_id]
        if geometry_of(track) is None:
            return None, f"not playable: {track.get('error')}"
        return track, ""
