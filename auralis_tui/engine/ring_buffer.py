"""Single-producer, single-consumer ring buffer of float32 frames.

The consumer is the sound card's callback thread: ``read_into`` never allocates, never
takes a lock and never waits; when data is short it fills silence and counts an underrun.
The two positions only ever grow and each is written by one side, which is enough for
correctness under the GIL.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


class RingBuffer:
    def __init__(self, capacity_frames: int, channels: int) -> None:
        self._data = np.zeros((capacity_frames, channels), dtype=np.float32)
        self.capacity_frames = capacity_frames
        self.channels = channels
        self._written = 0  # producer's position, frames ever written
        self._read = 0  # consumer's position, frames ever read
        self._skip_to = 0  # producer's request: the consumer jumps here (a clear)
        self.underruns = 0  # starvation: the producer was late
        self.device_underruns = 0  # the device's callback was late (counted by the output)
        self.end_of_stream = False  # set by the producer after its last write
        # Set once the run is over: nothing more will be written, not even after a played-out
        # end (a lingering run may go on when a command lands). A capture stops on it.
        self.closed = False
        self.paused = False  # consumer plays silence and keeps its place
        self.volume = 1.0  # linear gain the consumer applies as it reads
        # Until the producer's first write after a start or a clear, silence is expected:
        # the consumer plays it without counting underruns (a seek is not starvation).
        self.holding = True

    @property
    def read_position(self) -> int:
        """Frames the consumer has taken or been told to skip."""
        return max(self._read, self._skip_to)

    @property
    def available_frames(self) -> int:
        return self._written - max(self._read, self._skip_to)

    @property
    def free_frames(self) -> int:
        return self.capacity_frames - (self._written - self._read)

    def write(self, samples: Samples) -> int:
        """Copy as many frames as fit; returns how many were taken."""
        count = min(len(samples), self.free_frames)
        start = self._written % self.capacity_frames
        first = min(count, self.capacity_frames - start)
        self._data[start : start + first] = samples[:first]
        self._data[: count - first] = samples[first:count]
        self._written += count
        if count:
            self.holding = False
        return count

    def read_into(self, out: Samples) -> int:
        """Fill ``out`` (frames, channels); silence past the available data counts an underrun."""
        skip_to = self._skip_to
        if skip_to > self._read:
            self._read = skip_to  # also while paused: the producer may fill the new position
        if self.paused:
            out[:] = 0.0
            return 0
        wanted = len(out)
        count = min(wanted, self.available_frames)
        start = self._read % self.capacity_frames
        first = min(count, self.capacity_frames - start)
        out[:first] = self._data[start : start + first]
        out[first:count] = self._data[: count - first]
        volume = self.volume
        if volume != 1.0:
            out[:count] *= volume  # in place: no allocation on the audio thread
        if count < wanted:
            out[count:] = 0.0
            if not self.end_of_stream and not self.holding:
                self.underruns += 1
        self._read += count
        return count

    @property
    def written_frames(self) -> int:
        """Frames the producer has ever written (less what it truncated)."""
        return self._written

    def truncate(self, position: int) -> None:
        """Drop what was written after ``position`` (never what the consumer already took);
        the producer then writes from there. A preset switch rewrites the future this way."""
        self._written = max(self.read_position, min(self._written, position))

    def clear(self) -> None:
        """Drop what is buffered (seek); called by the producer, applied by the consumer.

        The consumer's position is only ever written by the consumer, so the producer asks
        it to skip ahead instead of moving it. Until the next read, nothing is free to write.
        """
        self.end_of_stream = False  # first: a reader that then sees nothing left must not stop
        self.holding = True
        self._skip_to = self._written
