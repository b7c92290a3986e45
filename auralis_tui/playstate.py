"""The play state kept on the server, and the plays it counts: resume where you were, on any client.

The server holds one play state (queue, entry, position, modes, settings, volume) because
the laptop and the NAS-over-SSH are the same listener: quit on one, start on the other,
and it resumes there (as MPD's ``state_file``, but shared). ``PlayStateSync.tick`` runs
every second or so: it writes the state at once when the queue, entry, modes or settings
changed, and the position every ``SYNC_EVERY_S`` while playing. It also counts plays as
scrobblers do: once per play of a track, after half of it or four minutes have been heard.

A server that is down must not stop the music: a write that fails stays due and is tried
again at the next tick; nothing here raises into the UI. No Textual here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auralis_tui.api import AuralisClient, ClientError, TrackUnavailable
from auralis_tui.engine.session import Session, Status
from auralis_tui.engine.types import PlaybackSettings

log = logging.getLogger("auralis.playstate")

SYNC_EVERY_S = 5.0  # the position, while playing
PLAY_COUNTS_AFTER_S = 240.0  # or half the track, whichever comes first (Last.fm's rule)
RESTART_WITHIN_S = 3.0  # back to the track's start (repeat one, `N`): a new play
HEARD_SLACK_S = 0.5  # a tick may see a little more play than the clock says passed


def play_threshold_s(duration_s: float) -> float:
    """How much of a track must be heard for a play to count."""
    return min(duration_s / 2, PLAY_COUNTS_AFTER_S)


@dataclass
class _Play:
    """One play of a queue entry: how much of it has been heard, and whether it counted."""

    key: tuple[int, int | None]  # track id, queue entry
    position_s: float
    at_s: float  # the clock when position_s was read
    heard_s: float = 0.0
    counted: bool = False


class PlayCounter:
    """Heard time per play, from successive statuses: what the device played, not seeks."""

    def __init__(self) -> None:
        self._play: _Play | None = None

    def observe(self, status: Status, now_s: float) -> _Play | None:
        """Follow the play head; the play being heard, if any."""
        if status.track_id is None:
            return self._play
        key = (status.track_id, status.queue_index)
        play, position_s = self._play, status.position_s
        went_back = play is not None and position_s < play.position_s - HEARD_SLACK_S
        if play is None or play.key != key or (went_back and position_s < RESTART_WITHIN_S):
            self._play = _Play(key, position_s, now_s)
            return self._play
        step_s = position_s - play.position_s
        if status.state == "playing" and 0 < step_s <= now_s - play.at_s + HEARD_SLACK_S:
            play.heard_s += step_s  # a seek forward moves further than time allows: not heard
        play.position_s, play.at_s = position_s, now_s
        return play


class PlayStateSync:
    """Writes the session's play state and its plays to the server, retrying what failed."""

    def __init__(
        self,
        client: AuralisClient,
        session: Session,
        *,
        clock: Callable[[], float] = time.monotonic,
        sync_every_s: float = SYNC_EVERY_S,
    ) -> None:
        self.client = client
        self.session = session
        self.clock = clock
        self.sync_every_s = sync_every_s
        self.counter = PlayCounter()
        self.unsent_plays: list[int] = []  # track ids whose play the server has not taken yet
        self._where: tuple[int | None, float] = (None, 0.0)  # last entry and position known
        self._durations_s: dict[int, float] = {}
        # What the server is taken to have: nothing is written until the listener changes
        # something, so a client started with --no-resume (or before the server answers)
        # does not wipe the stored state with its empty queue.
        self._sent: dict[str, Any] | None = self.state()
        self._sent_at_s = clock()
        # Whether the stored state is this client's to replace: once it resumed it, or once
        # something is queued. Until then an empty queue with a mode or preset pressed is not
        # worth writing over the queue another session left.
        self._owner = False

    def resumed(self, index: int | None, position_s: float) -> None:
        """The session starts from this stored state: nothing new to write yet."""
        self._where = (index, position_s)
        self._sent = self.state()
        self._sent_at_s = self.clock()
        self._owner = True

    def state(self) -> dict[str, Any]:
        """The body of ``PUT /api/playstate``: the queue and where in it the listener is."""
        session, status = self.session, self.session.status()
        if status.track_id is not None:
            self._where = (status.queue_index, status.position_s)
        elif status.state == "ended":
            self._where = (None, 0.0)  # the queue played out: nothing to resume into
        index, position_s = self._where
        queue = list(session.queue)
        if index is not None and not 0 <= index < len(queue):
            index, position_s = None, 0.0  # the queue changed under an entry not yet playing
        return {
            "queue": queue,
            "index": index,
            "position_s": round(max(0.0, position_s), 3),
            "shuffle": status.shuffle,
            "repeat": status.repeat,
            "preset": session.settings.preset,
            "intensity": session.settings.intensity,
            "volume": session.volume,
        }

    async def tick(self) -> None:
        """Count plays, then write the state if it changed (the position: now and then)."""
        status = self.session.status()
        now_s = self.clock()
        play = self.counter.observe(status, now_s)
        if play is not None and not play.counted and status.track_id is not None:
            duration_s = await self._duration_s(status.track_id)
            if duration_s is not None and play.heard_s >= play_threshold_s(duration_s):
                play.counted = True
                self.unsent_plays.append(status.track_id)
        await self._send_plays()
        if status.state == "buffering":
            return  # a new run is starting: its entry and position are not known yet
        state = self.state()
        if not self._owns(state):
            return
        moved = state["position_s"] != (self._sent or {}).get("position_s")
        due = now_s - self._sent_at_s >= self.sync_every_s
        if _without_position(state) != _without_position(self._sent) or (moved and due):
            await self._put(state, now_s)

    async def flush(self) -> bool:
        """Write the state now if it differs from what the server has (on quit): a client
        that played nothing leaves another's stored state alone. Whether nothing is left unwritten."""
        await self._send_plays()
        state = self.state()
        if state == self._sent or not self._owns(state):
            return True  # nothing this client should write
        return await self._put(state, self.clock())

    def _owns(self, state: dict[str, Any]) -> bool:
        self._owner = self._owner or bool(state["queue"])
        return self._owner

    async def _put(self, state: dict[str, Any], now_s: float) -> bool:
        try:
            await self.client.put_playstate(state)
        except ClientError as exc:
            log.warning("play state not saved (tried again at the next tick): %s", exc)
            return False
        self._sent, self._sent_at_s = state, now_s
        return True

    async def _send_plays(self) -> None:
        while self.unsent_plays:
            try:
                await self.client.record_play(self.unsent_plays[0])
            except TrackUnavailable:
                pass  # the library no longer has it (a rescan): nothing to count it on
            except ClientError as exc:
                log.warning("play not recorded yet: %s", exc)
                return
            self.unsent_plays.pop(0)

    async def _duration_s(self, track_id: int) -> float | None:
        if track_id not in self._durations_s:
            try:
                track = await self.client.track(track_id)
            except ClientError:
                return None  # asked again at the next tick
            self._durations_s[track_id] = float(track.get("duration_seconds") or 0.0)
        return self._durations_s[track_id]


def _without_position(state: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if state is None else {k: v for k, v in state.items() if k != "position_s"}


async def resume(client: AuralisClient, session: Session, sync: PlayStateSync) -> bool:
    """Set the session up paused where the stored state left off; whether there was a run to
    resume. A server that cannot say (down, older) means a fresh start, never an error."""
    try:
        state = await client.playstate()
    except ClientError as exc:
        log.warning("no play state to resume: %s", exc)
        return False
    queue = [int(track_id) for track_id in state.get("queue") or []]
    index = state.get("index")
    if state.get("preset") is not None and state.get("intensity") is not None:
        session.settings = PlaybackSettings(state["preset"], float(state["intensity"]))
    if state.get("volume") is not None:
        session.volume = float(state["volume"])
    restore_mode(session, state.get("shuffle") or "off", state.get("repeat") or "off")
    if not queue or index is None or not 0 <= index < len(queue):
        session.queue = queue  # shown in the queue view, played on Enter
        sync.resumed(None, 0.0)
        return False
    position_s = float(state.get("position_s") or 0.0)
    session.begin(queue, index, position_s, paused=True)
    sync.resumed(index, position_s)
    return True


def restore_mode(session: Session, shuffle: str, repeat: str) -> None:
    """Step the session's mode keys until they show the stored mode (the keys are its only
    way in, so a stored value the player does not know changes nothing)."""
    for _ in range(3):
        if session.mode.shuffle == shuffle:
            break
        session.cycle_shuffle()
    for _ in range(3):
        if session.mode.repeat == repeat:
            break
        if repeat == "one" or session.mode.repeat == "one":
            session.toggle_repeat_one()
        else:
            session.toggle_repeat()
