"""A listening session: the queue, the player for it, and the controls a UI binds to keys.

One ``Player`` plays one run through the queue; starting another run (Enter on a track)
replaces it. Settings and volume outlive players. The controls are commands sent to the
player (commands.py): the session never touches the player's state. No Textual here: the
TUI calls these methods from its key bindings and reads ``status()`` on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from auralis_tui.api import AuralisClient, ClientError
from auralis_tui.engine.commands import (
    Command,
    Pause,
    Resume,
    SeekBy,
    SetSettings,
    SetVolume,
    Skip,
)
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.player import Player
from auralis_tui.engine.types import PlaybackSettings
from shared.presets import PRESET_NAMES


@dataclass(frozen=True)
class Status:
    """A snapshot for the now-playing bar."""

    state: str  # idle | buffering | playing | paused | reconnecting | ended
    track_id: int | None
    queue_index: int | None
    position_s: float
    volume: float
    preset: str  # heard: the settings the frames at the position were rendered with
    intensity: float
    chosen: PlaybackSettings  # what the next fetch uses (differs for up to a chunk)
    buffered_chunks: float
    underruns: int
    retry_attempt: int
    error: str | None


class Session:
    def __init__(
        self,
        client: AuralisClient,
        output_factory: Callable[[], Output],
        *,
        settings: PlaybackSettings | None = None,
        prefetch_chunks: int = 3,
        crossfade_s: float = 0.0,
    ) -> None:
        self.client = client
        self.output_factory = output_factory
        self.settings = settings or PlaybackSettings()
        self.prefetch_chunks = prefetch_chunks
        self.crossfade_s = crossfade_s
        self.queue: list[int] = []
        self.volume = 1.0
        self.player: Player | None = None
        self.error: str | None = None
        self.ended = False  # the last run reached the end of its queue
        self._output: Output | None = None
        self._paused = False
        self._start = (0, 0.0)  # the queue entry and offset ``run`` starts from

    # -- a run through the queue ------------------------------------------------------------

    async def play(self, queue: list[int], index: int = 0, start_s: float = 0.0) -> None:
        """Play ``queue`` from entry ``index`` until it ends; cancelling this stops the sound."""
        self.begin(queue, index, start_s)
        await self.run()

    def begin(self, queue: list[int], index: int = 0, start_s: float = 0.0) -> None:
        """Set up a run now (no await), so keys pressed before ``run`` starts reach its player
        (a seek right after Enter); ``run`` then plays it."""
        self.stop_output()
        self.queue = list(queue)
        self.error, self._paused, self.ended = None, False, False
        self._output = self.output_factory()
        self.player = Player(
            self.client,
            self._output,
            prefetch_chunks=self.prefetch_chunks,
            crossfade_s=self.crossfade_s,
            settings=self.settings,
            volume=self.volume,
        )
        self.player.queue = self.queue
        self._start = (index, start_s)

    async def run(self) -> None:
        """Play the run ``begin`` set up."""
        player, output = self.player, self._output
        assert player is not None and output is not None, "begin() first"
        index, start_s = self._start
        try:
            await player.play(self.queue, start_s=start_s, start_index=index, linger=True)
            self.ended = True  # the queue played out, or `next` on its last track
        except ClientError as exc:
            self.error = str(exc)
        except asyncio.CancelledError as exc:
            # A UI may keep the cancelled run's exception: its frames would keep the player
            # (and its buffers) alive, one more per Enter.
            traceback.clear_frames(exc.__traceback__)
            raise
        finally:
            if self._output is output:
                self.stop_output()

    def stop_output(self) -> None:
        """Silence the device now (on quit, before the run's task is cancelled)."""
        output, self._output = self._output, None
        if output is not None:
            with contextlib.suppress(Exception):
                output.stop()

    def enqueue(self, track_ids: list[int]) -> None:
        """Append to the queue; a run in progress plays them after what it has."""
        self.queue.extend(track_ids)
        if self.player is not None and self.player.queue is not self.queue:
            self.player.queue.extend(track_ids)

    # -- controls ---------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.player is not None and self._output is not None

    def _post(self, command: Command) -> None:
        if self.player is not None and self.active:
            self.player.post(command)

    def toggle_pause(self) -> None:
        if self.player is not None and self.active:
            self._paused = not self._paused
            self._post(Pause() if self._paused else Resume())

    def skip(self, step: int) -> None:
        self._post(Skip(step))

    async def seek_by(self, delta_s: float) -> None:
        self._post(SeekBy(delta_s))

    def change_volume(self, step: float) -> None:
        self.volume = round(min(1.0, max(0.0, self.volume + step)), 2)
        if self.player is not None:
            self.player.post(SetVolume(self.volume))

    async def cycle_preset(self) -> None:
        following = PRESET_NAMES[(PRESET_NAMES.index(self.settings.preset) + 1) % len(PRESET_NAMES)]
        await self._apply(PlaybackSettings(following, self.settings.intensity))

    async def change_intensity(self, step: float) -> None:
        intensity = round(min(1.0, max(0.0, self.settings.intensity + step)), 2)
        await self._apply(PlaybackSettings(self.settings.preset, intensity))

    async def _apply(self, settings: PlaybackSettings) -> None:
        self.settings = settings
        if self.player is not None:
            self.player.post(SetSettings(settings))  # applied before the run, or from a chunk boundary

    # -- what to show -----------------------------------------------------------------------

    def status(self) -> Status:
        """The player's snapshot, with what only the session knows (volume, connection)."""
        player = self.player
        snapshot = player.snapshot if player is not None and self.active else None
        now = None if snapshot is None else snapshot.now
        if snapshot is None or now is None:
            state = "buffering" if self.active else "ended" if self.ended else "idle"
            return Status(
                state, None, None, 0.0, self.volume, self.settings.preset,
                self.settings.intensity, self.settings, 0.0, 0, 0, self.error,
            )  # fmt: skip
        state = snapshot.state
        if self.client.reconnecting or self.client.server_lost:
            state = "reconnecting"
        heard = now.settings or snapshot.settings
        return Status(
            state,
            now.track_id,
            now.index,
            now.position_frame / now.rate_hz,
            self.volume,
            heard.preset,
            heard.intensity,
            snapshot.settings,
            snapshot.buffered_chunks,
            snapshot.underruns,
            self.client.retry_attempt,
            self.error or snapshot.notice,
        )
