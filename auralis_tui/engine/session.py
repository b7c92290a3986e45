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
    Append,
    Clear,
    Command,
    Delete,
    InsertNext,
    Move,
    Pause,
    QueueEdit,
    Resume,
    SeekBy,
    SeekTo,
    SetMode,
    SetSettings,
    SetVolume,
    Skip,
)
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.play_order import PlayMode
from auralis_tui.engine.player import Player
from auralis_tui.engine.queue_edits import apply_edit
from auralis_tui.engine.types import PlaybackReport, PlaybackSettings
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
    shuffle: str = "off"  # off | tracks | albums
    repeat: str = "off"  # off | all | one
    muted: bool = False  # ``volume`` is the level unmuting restores
    loudness: str = "track"  # track | album: the loudness mode of the heard track


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
        self._queue: list[int] = []  # the queue while no player holds it
        self.volume = 1.0  # the level chosen; muting keeps it
        self._muted = False
        self._mode = PlayMode()
        self.player: Player | None = None
        self.error: str | None = None
        self.ended = False  # the last run reached the end of its queue
        self._output: Output | None = None
        self._paused = False
        # The queue as ``begin`` was given it, the entry and offset ``run`` starts from
        # (edits made in between reach the player as commands, after it has started).
        self._start: tuple[list[int], int, float] = ([], 0, 0.0)

    @property
    def queue(self) -> list[int]:
        """The queue in queue order: the player's own list (edits reach it as commands, so
        the two never differ), or the session's while there is no player."""
        return self.player.queue if self.player is not None else self._queue

    @queue.setter
    def queue(self, track_ids: list[int]) -> None:
        """A new queue; while a run plays, the playing track plays to its end, then these."""
        if self.player is not None and self.active:
            self.player.post(Clear())
            self.player.post(Append(tuple(track_ids)))
            return
        self._queue = list(track_ids)
        if self.player is not None:
            self.player.queue = self._queue  # the ended run's queue is the one shown

    # -- a run through the queue ------------------------------------------------------------

    async def play(self, queue: list[int], index: int = 0, start_s: float = 0.0) -> PlaybackReport:
        """Play ``queue`` from entry ``index`` until it ends; cancelling this stops the sound."""
        self.begin(queue, index, start_s)
        return await self.run()

    def begin(
        self, queue: list[int], index: int = 0, start_s: float = 0.0, paused: bool = False
    ) -> None:
        """Set up a run now (no await), so keys pressed before ``run`` starts reach its player
        (a seek right after Enter); ``run`` then plays it. ``paused``: the device stays
        silent from the first frame until ``resume`` (resuming a stored session)."""
        self.stop_output()
        self.error, self._paused, self.ended = None, paused, False
        self._output = self.output_factory()
        self.player = Player(
            self.client,
            self._output,
            prefetch_chunks=self.prefetch_chunks,
            crossfade_s=self.crossfade_s,
            settings=self.settings,
            volume=self._level,
            mode=self._mode,
            paused=paused,
        )
        self.player.queue = list(queue)
        self._start = (list(queue), index, start_s)

    async def run(self) -> PlaybackReport:
        """Play the run ``begin`` set up; what it played (a failed run: its one-line error
        in ``error`` and in the report's problems)."""
        player, output = self.player, self._output
        assert player is not None and output is not None, "begin() first"
        queue, index, start_s = self._start
        try:
            report = await player.play(queue, start_s=start_s, start_index=index, linger=True)
            self.ended = True  # the queue played out, or `next` on its last track
            return report
        except ClientError as exc:
            self.error = str(exc)
            return PlaybackReport(problems=[self.error])
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
        self._edit(Append(tuple(track_ids)))

    # -- editing the queue (the queue view's keys) -------------------------------------------

    def _edit(self, edit: QueueEdit) -> None:
        """The player applies it (in order with the other commands), else the session."""
        if self.player is not None:
            self.player.post(edit)
        else:
            self._queue[:] = apply_edit(self._queue, edit, None).queue

    def delete(self, index: int) -> None:
        """Remove entry ``index``; the playing entry plays to its end, then what followed it."""
        self._edit(Delete(index))

    def move(self, index: int, delta: int) -> int:
        """Move entry ``index`` by ``delta`` places (kept in the queue); its new index."""
        self._edit(Move(index, delta))
        return min(max(0, index + delta), len(self.queue) - 1) if self.queue else 0

    def clear(self) -> None:
        """Empty the queue but for the playing entry, which plays to its end."""
        self._edit(Clear())

    def play_next(self, track_ids: list[int]) -> None:
        """Insert tracks right after the playing entry (shuffled or not, they play next)."""
        self._edit(InsertNext(tuple(track_ids)))

    # -- play modes -------------------------------------------------------------------------

    @property
    def mode(self) -> PlayMode:
        return self._mode

    def _set_mode(self, mode: PlayMode) -> None:
        self._mode = mode  # outlives runs, as the settings do
        if self.player is not None:
            self.player.post(SetMode(mode))

    def cycle_shuffle(self) -> None:
        """off → tracks → albums → off."""
        self._set_mode(self._mode.cycled_shuffle())

    def toggle_repeat(self) -> None:
        """off ↔ all; from repeat one to all."""
        self._set_mode(self._mode.toggled_repeat())

    def toggle_repeat_one(self) -> None:
        """Repeat the current track ↔ off."""
        self._set_mode(self._mode.toggled_repeat_one())

    # -- controls ---------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.player is not None and self._output is not None

    def _post(self, command: Command) -> None:
        if self.player is not None and self.active:
            self.player.post(command)

    @property
    def paused(self) -> bool:
        """Whether the last pause/resume paused: what the player does once it has applied it
        (its snapshot may lag a Pause still queued behind a seek's fetch)."""
        return self._paused

    def toggle_pause(self) -> None:
        if self.player is not None and self.active:
            self._paused = not self._paused
            self._post(Pause() if self._paused else Resume())

    def pause(self) -> None:
        if not self._paused:
            self.toggle_pause()

    def resume(self) -> None:
        if self._paused:
            self.toggle_pause()

    def skip(self, step: int) -> None:
        self._post(Skip(step))

    async def seek_by(self, delta_s: float) -> None:
        self._post(SeekBy(delta_s))

    def seek_to(self, seconds: float) -> None:
        self._post(SeekTo(seconds))

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def _level(self) -> float:
        """The gain the device applies: the volume, or silence while muted."""
        return 0.0 if self._muted else self.volume

    def toggle_mute(self) -> None:
        """Silence the output, keeping the volume to restore."""
        self._muted = not self._muted
        if self.player is not None:
            self.player.post(SetVolume(self._level))

    def change_volume(self, step: float) -> None:
        """Change the volume; muted, this unmutes (as cmus does), from the kept level."""
        self._muted = False
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
            self.player.post(
                SetSettings(settings)
            )  # applied before the run, or from a chunk boundary

    # -- what to show -----------------------------------------------------------------------

    def status(self) -> Status:
        """The player's snapshot, with what only the session knows (volume, connection)."""
        player = self.player
        snapshot = player.snapshot if player is not None and self.active else None
        now = None if snapshot is None else snapshot.now
        mode = (self._mode.shuffle, self._mode.repeat, self._muted)
        if snapshot is None or now is None:
            state = "buffering" if self.active else "ended" if self.ended else "idle"
            return Status(
                state, None, None, 0.0, self.volume, self.settings.preset,
                self.settings.intensity, self.settings, 0.0, 0, 0, self.error, *mode,
            )  # fmt: skip
        state = snapshot.state
        if self.client.reconnecting or self.client.server_lost:
            state = "reconnecting"
        heard = now.settings or snapshot.settings
        return Status(
            state,
            now.track_id,
            None if now.detached else now.index,  # deleted from the queue while playing
            now.position_frame / now.rate_hz,
            self.volume,
            heard.preset,
            heard.intensity,
            snapshot.settings,
            snapshot.buffered_chunks,
            snapshot.underruns,
            self.client.retry_attempt,
            self.error or snapshot.notice,
            *mode,
            snapshot.loudness,
        )
