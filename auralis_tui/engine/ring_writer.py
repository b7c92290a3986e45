"""The producer side of one ring buffer: the player writes audio through it.

It starts the device once the first chunk is in (so playback never begins on an empty
buffer), and keeps a track's last ``fade_frames`` back to mix them, equal-power, into the
next track's head. One writer per ring, so per stream format.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from auralis_tui.engine.joiner import equal_power
from auralis_tui.engine.outputs import Output
from auralis_tui.engine.ring_buffer import RingBuffer, Samples

_POLL_S = 0.005


class RingWriter:
    def __init__(self, ring: RingBuffer, output: Output, rate_hz: int) -> None:
        self.ring = ring
        self.output = output
        self.rate_hz = rate_hz
        self.started = False
        self.held: Samples | None = None  # a track's end, kept back for a crossfade

    async def write(self, samples: Samples) -> None:
        done = 0
        while done < len(samples):
            done += self.ring.write(samples[done:])
            if not self.started and (done == len(samples) or not self.ring.free_frames):
                self.start_output()  # the first chunk is buffered: the device may pull now
            if done < len(samples):
                await asyncio.sleep(_POLL_S)

    async def emit(self, samples: Samples, fade_frames: int, last_of_track: bool) -> None:
        """Write ``samples``, mixing in a held track ending and holding back this one's end."""
        if self.held is not None and len(samples):
            overlap = min(len(self.held), len(samples))
            await self.write(equal_power(self.held[:overlap], samples[:overlap]))
            samples = samples[overlap:]
            self.held = None
        if last_of_track and fade_frames:
            keep = min(fade_frames, len(samples))
            await self.write(samples[: len(samples) - keep])
            self.held = samples[len(samples) - keep :]
            return
        await self.write(samples)

    def start_output(self) -> None:
        self.started = True
        self.output.start(self.ring, self.rate_hz)

    async def finish(self) -> None:
        """Nothing more follows: write a held ending as it is and let the device run out."""
        if self.held is not None:
            await self.write(self.held)
            self.held = None
        self.ring.end_of_stream = True
        if not self.started and self.ring.available_frames:
            self.start_output()

    async def played_out(self, keep_waiting: Callable[[], bool]) -> None:
        """Wait until the device has played everything (taken it, and its own latency
        later: a stop any sooner cuts the end), or ``keep_waiting`` turns false."""
        while keep_waiting() and self.ring.available_frames:
            await asyncio.sleep(_POLL_S)
        if keep_waiting() and self.started:
            await asyncio.sleep(self.output.latency_s())
