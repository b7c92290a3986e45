"""Where played audio goes: the sound card (sounddevice/PortAudio) or a capture for tests.

sounddevice is imported only when a device is opened, so ``fetch`` and ``ls`` work on a
machine without PortAudio, and its absence is one line saying what to install.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from auralis_tui.api import ClientError
from auralis_tui.engine.ring_buffer import RingBuffer, Samples

BLOCK_FRAMES = 1024


class Output(Protocol):
    def start(self, ring: RingBuffer, rate_hz: int) -> None: ...
    def stop(self) -> None: ...

    def latency_s(self) -> float:
        """How long the last frame taken from the ring takes to be heard: stopping sooner
        cuts it off."""
        ...


class CaptureOutput:
    """Pulls the ring buffer like a sound card would, into memory (tests, latency bench).

    ``realtime`` paces the pulls at the sample rate (times ``speed``); otherwise it drains as
    fast as the producer fills. It stops once the producer has closed the ring and the buffer
    is empty; at a mere end of stream it waits, as a device plays silence, since a lingering
    run may go on.
    """

    def __init__(self, realtime: bool = False, speed: float = 1.0) -> None:
        self.blocks: list[Samples] = []
        self.starts: list[tuple[int, int]] = []  # (block index, rate) where each start began
        self.realtime = realtime
        self.speed = speed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.first_sample_at: float | None = None

    def start(self, ring: RingBuffer, rate_hz: int) -> None:
        self.starts.append((len(self.blocks), rate_hz))
        self._stop.clear()
        self._thread = threading.Thread(target=self._pull, args=(ring, rate_hz), daemon=True)
        self._thread.start()

    def _pull(self, ring: RingBuffer, rate_hz: int) -> None:
        import time

        block = np.zeros((BLOCK_FRAMES, ring.channels), dtype=np.float32)
        while not self._stop.is_set():
            ended = ring.end_of_stream
            if not self.realtime and ring.available_frames < BLOCK_FRAMES and not ended:
                time.sleep(0.001)
                continue
            # Nothing left, then still the end (a jump clears the ring and the end mark).
            if ring.available_frames == 0 and ring.end_of_stream:
                if ring.closed:
                    break
                time.sleep(BLOCK_FRAMES / rate_hz / self.speed if self.realtime else 0.001)
                continue
            got = ring.read_into(block)
            if got and self.first_sample_at is None:
                self.first_sample_at = time.perf_counter()
            self.blocks.append(block[: got if ended else len(block)].copy())
            if self.realtime:
                time.sleep(BLOCK_FRAMES / rate_hz / self.speed)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def latency_s(self) -> float:
        return 0.0  # what was pulled is captured already

    def wait(self, timeout_s: float = 60) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def segments(self) -> list[tuple[int, Samples]]:
        """(rate, samples) of each time the device was opened: one per stream format run."""
        bounds = [first for first, _ in self.starts[1:]] + [len(self.blocks)]
        return [
            (rate_hz, np.concatenate(self.blocks[first:last]))
            for (first, rate_hz), last in zip(self.starts, bounds, strict=True)
            if last > first
        ]

    @property
    def samples(self) -> Samples:
        return np.concatenate(self.blocks) if self.blocks else np.zeros((0, 2), dtype=np.float32)


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # the module loads but finds no libportaudio
        raise ClientError(
            f"PortAudio is missing ({exc}); install it: sudo apt-get install libportaudio2"
        ) from None
    return sounddevice


def require_portaudio() -> None:
    """Fail early, in one line, when there is no PortAudio to play through."""
    _sounddevice()


def device_callback(ring: RingBuffer) -> Callable[[Samples, int, Any, Any], None]:
    """PortAudio's callback: drain the ring, and count the device's own underflows (a late
    callback), which the ring cannot see, so the bar and summaries report every gap."""

    def callback(outdata: Samples, frames: int, time: Any, status: Any) -> None:
        ring.read_into(outdata)
        if status.output_underflow:
            ring.device_underruns += 1

    return callback


class SoundDeviceOutput:
    """A PortAudio output stream whose callback drains the ring buffer."""

    def __init__(self, device: str | int | None = None) -> None:
        self.device = device
        self._stream: Any = None

    def start(self, ring: RingBuffer, rate_hz: int) -> None:
        sounddevice = _sounddevice()

        try:
            self._stream = sounddevice.OutputStream(
                samplerate=rate_hz,
                channels=ring.channels,
                dtype="float32",
                device=self.device,
                blocksize=BLOCK_FRAMES,
                callback=device_callback(ring),
            )
            self._stream.start()
        except sounddevice.PortAudioError as exc:
            raise ClientError(f"cannot open the audio output: {exc}") from None
        except ValueError as exc:  # sounddevice's word for a device name that matches nothing
            raise ClientError(f"{exc}; `auralis devices` lists the outputs") from None

    def latency_s(self) -> float:
        """The stream's output latency plus a block the host may still hold."""
        stream = self._stream
        if stream is None:
            return 0.0
        return float(stream.latency) + BLOCK_FRAMES / float(stream.samplerate)

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


def list_devices() -> list[str]:
    sounddevice = _sounddevice()
    return [
        f"{index}\t{device['name']}"
        for index, device in enumerate(sounddevice.query_devices())
        if device["max_output_channels"] > 0
    ]
