"""getPlayQueue / savePlayQueue: the play state the TUI resumes from (library.playstate), so
a queue saved on the phone is the one the terminal player resumes, and back. The queue's
other settings (modes, preset, volume) are kept as the TUI left them."""

from __future__ import annotations

from auralis_server.http.subsonic import ids, shapes
from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint
from auralis_server.http.subsonic.envelope import GENERIC, SubsonicError
from auralis_server.library import playstate
from auralis_server.library.models import Track
from auralis_server.library.playlists import present_track_ids


@endpoint("getPlayQueue")
def get_play_queue(call: Call) -> Payload:
    state = playstate.read_state()
    queue: list[int] = state["queue"]
    if not queue:
        return {}  # the spec's answer when nothing was saved
    present = present_track_ids(queue)
    by_id = {track.id: track for track in Track.select().where(Track.id.in_(sorted(present)))}
    tracks = [by_id[track_id] for track_id in queue if track_id in by_id]
    index = state["index"]
    return {
        "playQueue": {
            "current": ids.track_id(queue[index]) if index is not None else None,
            "position": round(state["position_s"] * 1000),
            "username": call.settings.subsonic_user,
            "changed": state["updated_at"],
            "changedBy": call.params.get("c") or "auralis",
            "entry": shapes.songs(tracks, call.settings),
        }
    }


@endpoint("savePlayQueue")
def save_play_queue(call: Call) -> Payload:
    """``id`` repeats for the queue (none clears it), ``current`` and ``position`` (ms)."""
    queue = [ids.number_of(raw, "track") for raw in call.params.all("id")]
    current = call.params.get("current")
    index = None
    if queue:
        index = 0
        if current:
            current_id = ids.number_of(current, "track")
            if current_id not in queue:
                raise SubsonicError(GENERIC, f"current {current:.30} is not in the queue")
            index = queue.index(current_id)
    position_ms = call.params.integer("position", 0, 0, 2**53)
    state = playstate.read_state()
    body = {field: state[field] for field in playstate.STATE_FIELDS}
    body.update(queue=queue, index=index, position_s=position_ms / 1000 if queue else 0.0)
    playstate.write_state(body)
    return {}
