"""Model-based test of the player: random command sequences at random moments, real server.

A hypothesis state machine sends the real ``Player`` the commands a UI sends (jump, next,
previous, seek to, seek by, settings, pause) with random small delays, over a queue of
short tracks in mixed formats (one shorter than a chunk, one at another rate and channel
count). The reference model (player_model.py) predicts where each move lands and what may
follow what; the checker holds the captured audio to the server's renders. Volume is left
out: it scales the samples, so the capture would no longer equal a render (test_app covers it).
The machine runs again behind a slow network (each request delayed at random), where the
player's steps and the server's answers interleave differently. The sequences found to fail
once are kept below as explicit regression tests.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from auralis_server.library.scanner import Scanner
from auralis_tui.engine.commands import Jump, Pause, Resume, SeekBy, SeekTo, SetSettings, Skip
from auralis_tui.engine.types import PlaybackSettings
from tests.conftest import LiveServer, write_audio
from tests.server.conftest import Library
from tests.tui.player_model import Harness, Segment, TrackSpec, check, decompose
from tests.tui.test_player import _render

CHUNK_S = 1.0
PRESETS = ("adaptive", "bright")
SPEED = 8.0  # the capture pulls in real time, eight times faster
# (seconds, rate, channels): a short track, a format change and back.
QUEUE = ((2.5, 8000, 1), (0.6, 8000, 1), (2.0, 8000, 1), (1.5, 16000, 2), (1.2, 8000, 1))
DELAYS_S = (0.0, 0.0, 0.005, 0.02, 0.08, 0.2)


@dataclass
class ModelQueue:
    url: str
    ids: list[int]
    specs: list[TrackSpec]
    renders: dict[tuple[int, str], np.ndarray]
    slow: bool = False  # behind SlowServer: the device may run dry between tracks

    def harness(self) -> Harness:
        return Harness(self.url, self.ids, self.specs, SPEED, starvable=self.slow)


class SlowServer:
    """The server behind a slow network: each request waits a random 0–``most_s`` before it
    is served (seeded: the same waits each run). Metadata, chunks and prepares then come
    back out of order with the player's steps, as on a NAS over Wi-Fi."""

    def __init__(self, app: Starlette, most_s: float) -> None:
        self.app, self.most_s = app, most_s
        self._random = random.Random(7)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self._random.uniform(0.0, self.most_s))
        await self.app(scope, receive, send)


def _model_queue(
    library: Library, live_server: Callable[..., LiveServer], latency_s: float = 0.0
) -> ModelQueue:
    paths: list[Path] = []
    for index, (seconds, rate_hz, channels) in enumerate(QUEUE):
        path = library.music / f"q{index}.wav"
        write_audio(path, seconds, rate_hz, channels=channels, seed=80 + index)
        paths.append(path)
    Scanner([library.music], workers=1).run()
    app = library.app(chunk_seconds=CHUNK_S)
    server = live_server(SlowServer(app, latency_s) if latency_s else app)
    specs = [
        TrackSpec(rate_hz, channels, round(seconds * rate_hz), round(CHUNK_S * rate_hz))
        for seconds, rate_hz, channels in QUEUE
    ]
    renders = {
        (index, preset): _render(path, preset).astype(np.float32)
        for index, path in enumerate(paths)
        for preset in PRESETS
    }
    ids = [library.track_id(path.name) for path in paths]
    return ModelQueue(server.url, ids, specs, renders, slow=bool(latency_s))


@pytest.fixture
def model_queue(library: Library, live_server: Callable[..., LiveServer]) -> ModelQueue:
    return _model_queue(library, live_server)


@pytest.fixture
def slow_model_queue(library: Library, live_server: Callable[..., LiveServer]) -> ModelQueue:
    return _model_queue(library, live_server, latency_s=SLOW_SERVER_S)


EXAMPLES = int(os.environ.get("AURALIS_MODEL_EXAMPLES", "200"))  # the issue asks ≥ 200 in CI
SLOW_EXAMPLES = int(os.environ.get("AURALIS_SLOW_MODEL_EXAMPLES", "40"))
SLOW_SERVER_S = 0.15  # the most a request waits behind the slow network


@pytest.mark.timeout(1800)  # 200 examples of a few seconds each: the suite's limit is per test
def test_random_command_sequences_play_what_the_model_predicts(model_queue: ModelQueue) -> None:
    _run_machine(model_queue, EXAMPLES)


@pytest.mark.timeout(1800)
def test_random_command_sequences_with_a_slow_server(slow_model_queue: ModelQueue) -> None:
    """The same machine, each request delayed by up to SLOW_SERVER_S: a key press waiting for
    a target's metadata while the queue runs out was lost this way (never found without)."""
    _run_machine(slow_model_queue, SLOW_EXAMPLES)


def _run_machine(model_queue: ModelQueue, examples: int) -> None:
    class PlayerMachine(RuleBasedStateMachine):
        """One example: a run through the queue, commands sent while it plays."""

        harness: Harness

        @initialize()
        def start(self) -> None:
            self.harness = model_queue.harness()

        def _after(self, delay_s: float) -> None:
            if delay_s:
                import time

                time.sleep(delay_s)
            self.harness.observe()

        @rule(
            index=st.integers(0, len(QUEUE) - 1),
            start_s=st.floats(0.0, 2.0),
            delay_s=st.sampled_from(DELAYS_S),
        )
        def jump(self, index: int, start_s: float, delay_s: float) -> None:
            self.harness.send(Jump(index, start_s))
            self._after(delay_s)

        @rule(step=st.sampled_from([1, -1]), delay_s=st.sampled_from(DELAYS_S))
        def skip(self, step: int, delay_s: float) -> None:
            self.harness.send(Skip(step))
            self._after(delay_s)

        @rule(seconds=st.floats(0.0, 2.4), delay_s=st.sampled_from(DELAYS_S))
        def seek_to(self, seconds: float, delay_s: float) -> None:
            self.harness.send(SeekTo(seconds))
            self._after(delay_s)

        @rule(delta_s=st.sampled_from([-1.5, -0.4, 0.4, 1.5]), delay_s=st.sampled_from(DELAYS_S))
        def seek_by(self, delta_s: float, delay_s: float) -> None:
            self.harness.send(SeekBy(delta_s))
            self._after(delay_s)

        @rule(preset=st.sampled_from(PRESETS), delay_s=st.sampled_from(DELAYS_S))
        def change_settings(self, preset: str, delay_s: float) -> None:
            self.harness.send(SetSettings(PlaybackSettings(preset, 1.0)))
            self._after(delay_s)

        @rule(pause_s=st.sampled_from([0.0, 0.03, 0.1]))
        def pause(self, pause_s: float) -> None:
            self.harness.pause_for(pause_s)
            self._after(0.0)

        def teardown(self) -> None:
            if hasattr(self, "harness"):
                record = self.harness.finish()
                check(record, model_queue.specs, model_queue.renders)

    run_state_machine_as_test(
        PlayerMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=5,
            deadline=None,
            derandomize=True,  # the same sequences on every CI run: a red CI is a regression
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def _play_script(model_queue: ModelQueue, script: list[tuple[object, float]]) -> None:
    """One fixed sequence through the same harness and checker as the state machine."""
    harness = model_queue.harness()
    for command, delay_s in script:
        harness.send(command)  # type: ignore[arg-type]
        if delay_s:
            time.sleep(delay_s)
        harness.observe()
    check(harness.finish(), model_queue.specs, model_queue.renders)


def test_a_pause_right_after_a_jump_to_another_format_holds_the_reopened_device(
    model_queue: ModelQueue,
) -> None:
    """Found by the machine: the pause landed on the old stream's ring, and the device
    reopened for the new format played on while the bar said paused."""
    harness = model_queue.harness()
    harness.send(Jump(3))  # 16 kHz stereo: the device is reopened
    harness.send(Pause())
    time.sleep(0.3)  # 2.4 s of audio at the capture's pace: the whole track, were it playing
    assert harness.observe().snapshot.state == "paused"
    reopened = [first for first, rate_hz in harness.output.starts if rate_hz == QUEUE[3][1]]
    held = harness.output.blocks[reopened[0] :] if reopened else []
    assert not any(block.any() for block in held), "the reopened device played while paused"
    harness.send(Resume())
    check(harness.finish(), model_queue.specs, model_queue.renders)


def test_previous_twice_after_a_jump_counts_from_each_target(model_queue: ModelQueue) -> None:
    """Found by the machine: the second `previous` came while the first one's target was
    still unknown to the bar (its metadata not fetched), and the model predicted nothing."""
    _play_script(
        model_queue, [(Skip(-1), 0.0), (Jump(3, 1.91), 0.005), (Skip(-1), 0.0), (Skip(-1), 0.0)]
    )


def test_next_then_previous_right_after_a_jump_to_another_format(model_queue: ModelQueue) -> None:
    """The machine's example of a CI run: `previous`, a jump past the end of a track of another
    format, then `next` and `previous` in the same batch. On a slow server the `previous`
    waited for metadata while the last track played out and was lost (the player now applies
    it: test_player_commands), or the jump had already crossed into the last track, where
    `next` stops (the model now allows that ending)."""
    _play_script(
        model_queue, [(Skip(-1), 0.08), (Jump(3, 1.913), 0.005), (Skip(1), 0.0), (Skip(-1), 0.0)]
    )


def test_the_frames_after_the_last_match_of_a_run_count_as_unmatched() -> None:
    """Found in CI: a run that matched a render to the render's last frame, then a few frames
    matching nothing (fewer than a window), left a numpy integer that the checker took for a
    segment, and crashed."""
    rng = np.random.default_rng(3)
    render = rng.uniform(-0.5, 0.5, (3000, 1)).astype(np.float32)
    played = np.concatenate([render, rng.uniform(-0.5, 0.5, (10, 1)).astype(np.float32)])
    parts = decompose(played, {(0, "adaptive"): render}, 0)
    assert isinstance(parts[0], Segment) and parts[0].frames == 3000
    assert parts[1:] == [10] and type(parts[1]) is int
