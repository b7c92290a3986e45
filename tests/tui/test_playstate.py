"""The play-state sync without a player: a scripted play head, a fake clock, a mock server.

Expectations come from the scrobblers' rule (half the track or four minutes, whichever is
first), computed here from the track's duration, and from what the mock server received.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest

from auralis_tui.api import AuralisClient
from auralis_tui.engine.types import PlaybackSettings
from auralis_tui.playstate import PlayStateSync, resume

TICK_S = 0.5


@dataclass(frozen=True)
class FakeStatus:
    state: str = "playing"
    track_id: int | None = None
    queue_index: int | None = None
    position_s: float = 0.0
    shuffle: str = "off"
    repeat: str = "off"


@dataclass
class FakeSession:
    """What the sync reads of a session, set by the test as a player would."""

    queue: list[int] = field(default_factory=list)
    now: FakeStatus = field(default_factory=FakeStatus)
    settings: PlaybackSettings = field(default_factory=PlaybackSettings)
    volume: float = 1.0
    player: object | None = None
    begun: tuple[Any, ...] | None = None

    def status(self) -> FakeStatus:
        return self.now

    def begin(self, queue: list[int], index: int, start_s: float, paused: bool = False) -> None:
        self.queue, self.begun = list(queue), (list(queue), index, start_s, paused)
        self.player, self.now = object(), FakeStatus(state="buffering")


@dataclass
class FakeServer:
    durations_s: dict[int, float]
    down: bool = False
    plays: list[int] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, Any] | None = None
    gone: set[int] = field(default_factory=set)  # deleted by a rescan since they played

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        if request.method == "POST" and path.endswith("/plays"):
            if int(path.split("/")[3]) in self.gone:
                return httpx.Response(404, json={"error": "not_found", "detail": "no track"})
            self.plays.append(int(path.split("/")[3]))
            return httpx.Response(200, json={"track_id": self.plays[-1], "play_count": 1})
        if path == "/api/playstate" and request.method == "PUT":
            self.states.append(json.loads(request.content))
            return httpx.Response(200, json=self.states[-1])
        if path == "/api/playstate":
            return httpx.Response(200, json=self.stored)
        track_id = int(path.split("/")[3])
        return httpx.Response(
            200, json={"id": track_id, "duration_seconds": self.durations_s[track_id]}
        )


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def _sync(server: FakeServer, session: FakeSession, clock: Clock) -> PlayStateSync:
    client = AuralisClient("http://test", transport=httpx.MockTransport(server.handle))
    return PlayStateSync(client, session, clock=clock)  # type: ignore[arg-type]


async def _play(
    sync: PlayStateSync, session: FakeSession, clock: Clock, seconds: float, server: FakeServer
) -> float | None:
    """Advance the play head in real time, one tick at a time; the heard seconds at which
    the first new play reached the server, if one did."""
    plays_before = len(server.plays)
    start_s = session.now.position_s
    for _ in range(round(seconds / TICK_S)):
        clock.now_s += TICK_S
        session.now = replace(session.now, position_s=session.now.position_s + TICK_S)
        await sync.tick()
        if len(server.plays) > plays_before:
            return session.now.position_s - start_s
    return None


@pytest.mark.parametrize("duration_s", [20.0, 301.0, 600.0])
def test_a_play_counts_once_after_half_the_track_or_four_minutes(duration_s: float) -> None:
    expected_s = min(duration_s / 2, 240.0)  # the scrobblers' rule
    server = FakeServer({7: duration_s})
    session = FakeSession([7], FakeStatus(track_id=7, queue_index=0))
    clock = Clock()

    async def scenario() -> None:
        sync = _sync(server, session, clock)
        heard_s = await _play(sync, session, clock, duration_s, server)
        assert heard_s is not None and expected_s <= heard_s < expected_s + TICK_S + 1e-9
        await _play(sync, session, clock, duration_s - heard_s - TICK_S, server)
        assert server.plays == [7]  # once for this play, however long it goes on

    asyncio.run(scenario())


def test_a_seek_is_not_listening_and_a_restart_is_a_new_play() -> None:
    duration_s = 200.0
    half_s = duration_s / 2
    server = FakeServer({7: duration_s})
    session = FakeSession([7], FakeStatus(track_id=7, queue_index=0))
    clock = Clock()

    async def scenario() -> None:
        sync = _sync(server, session, clock)
        await _play(sync, session, clock, 10.0, server)
        session.now = replace(session.now, position_s=half_s + 10)  # seek past the middle
        assert await _play(sync, session, clock, 10.0, server) is None
        # 20 s played so far, less the tick the seek landed in (not told apart from the jump)
        heard_s = await _play(sync, session, clock, half_s, server)
        assert heard_s is not None and half_s - 20 <= heard_s < half_s - 20 + 2 * TICK_S + 1e-9
        session.now = replace(session.now, position_s=0.0)  # repeat one: the same entry again
        clock.now_s += TICK_S
        await sync.tick()
        heard_s = await _play(sync, session, clock, duration_s, server)
        assert heard_s is not None and half_s <= heard_s < half_s + TICK_S + 1e-9
        assert server.plays == [7, 7]

    asyncio.run(scenario())


def test_a_down_server_loses_nothing_and_raises_nothing() -> None:
    server = FakeServer({7: 20.0, 8: 20.0}, down=True)
    session = FakeSession([7, 8], FakeStatus(track_id=7, queue_index=0))
    clock = Clock()

    async def scenario() -> None:
        sync = _sync(server, session, clock)
        server.down = False  # the duration is known; the server goes away after that
        await sync.tick()
        server.down = True
        await _play(sync, session, clock, 15.0, server)  # past half: the play is due
        session.queue.append(9)  # a queue change while the server is down
        await sync.tick()
        assert await sync.flush() is False
        assert server.plays == [] and server.states == []
        server.down = False
        await sync.tick()
        assert server.plays == [7]
        assert server.states[-1]["queue"] == [7, 8, 9]
        assert server.states[-1]["index"] == 0

    asyncio.run(scenario())


def test_the_state_is_written_on_changes_and_the_position_now_and_then() -> None:
    server = FakeServer({7: 600.0})
    session = FakeSession([7], FakeStatus(track_id=7, queue_index=0))
    clock = Clock()

    async def scenario() -> None:
        sync = _sync(server, session, clock)
        await _play(sync, session, clock, 20.0, server)
        positions = [state["position_s"] for state in server.states]
        gaps_s = [later - earlier for earlier, later in itertools.pairwise(positions)]
        assert positions and all(gap >= sync.sync_every_s for gap in gaps_s)
        written = len(server.states)
        session.queue.append(8)
        await sync.tick()  # no time passed: a queue change is written at once
        assert len(server.states) == written + 1 and server.states[-1]["queue"] == [7, 8]
        session.now = replace(session.now, state="buffering", track_id=None, queue_index=None)
        session.queue[:] = [8, 9, 10]
        clock.now_s += 60
        await sync.tick()  # a new run starting: its entry is not known yet
        assert len(server.states) == written + 1

    asyncio.run(scenario())


def test_a_fresh_client_writes_nothing_until_the_listener_does_something() -> None:
    server = FakeServer({})
    session = FakeSession()
    session.now = FakeStatus(state="idle")
    clock = Clock()

    async def scenario() -> None:
        sync = _sync(server, session, clock)
        for _ in range(20):
            clock.now_s += TICK_S
            await sync.tick()
        assert server.states == []  # the stored state (another client's) is left alone

    asyncio.run(scenario())


def test_a_fresh_client_with_nothing_queued_keeps_the_stored_state_through_mode_keys() -> None:
    """`auralis --no-resume`, `s` (or `r`, `p`), quit: an empty queue is not a state worth
    writing over the stored one; once something is queued it is the listener's state."""
    server = FakeServer({7: 60.0})
    session = FakeSession()
    session.now = FakeStatus(state="idle")
    clock = Clock()

    async def scenario() -> None:
        sync = _sync(server, session, clock)
        session.now = replace(session.now, shuffle="tracks")
        session.settings = PlaybackSettings("warm", 0.5)
        clock.now_s += TICK_S
        await sync.tick()
        assert await sync.flush()  # nothing this client should write
        assert server.states == []
        session.queue.append(7)
        await sync.tick()
        assert server.states[-1]["queue"] == [7] and server.states[-1]["shuffle"] == "tracks"

    asyncio.run(scenario())


def test_resume_begins_paused_where_the_state_left_off() -> None:
    server = FakeServer({})
    server.stored = {
        "queue": [4, 5, 6],
        "index": 1,
        "position_s": 40.5,
        "shuffle": "off",
        "repeat": "off",
        "preset": "warm",
        "intensity": 0.5,
        "volume": 0.7,
        "updated_at": "2026-01-01T00:00:00Z",
    }
    session = FakeSession()
    session.mode = FakeStatus()  # type: ignore[attr-defined]  # shuffle and repeat off
    session.now = FakeStatus(state="idle")

    async def scenario() -> None:
        sync = _sync(server, session, Clock())
        assert await resume(sync.client, session, sync)  # type: ignore[arg-type]
        await sync.tick()

    asyncio.run(scenario())
    assert session.begun == ([4, 5, 6], 1, 40.5, True)
    assert (session.settings, session.volume) == (PlaybackSettings("warm", 0.5), 0.7)
    assert server.states == []  # nothing changed yet: nothing written back


def test_a_play_of_a_track_the_library_lost_does_not_hold_up_the_next() -> None:
    server = FakeServer({7: 20.0, 8: 20.0})
    session = FakeSession([7, 8], FakeStatus(track_id=7, queue_index=0))
    clock = Clock()

    async def scenario() -> None:
        sync = _sync(server, session, clock)
        server.gone.add(7)
        await _play(sync, session, clock, 15.0, server)  # 7 counted, refused: 404
        session.now = FakeStatus(track_id=8, queue_index=1)
        assert await _play(sync, session, clock, 15.0, server) is not None
        assert server.plays == [8] and sync.unsent_plays == []

    asyncio.run(scenario())
