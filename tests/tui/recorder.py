"""Recording the null sink and proving a recording holds every sample of the expected audio.

The audio acceptance tests play through the real stack (PortAudio → ALSA's pulse plugin →
PulseAudio's null sink) and record the sink's monitor with ``parec``. This module holds:

- ``Recorder``: parec into a raw float32 file, proven to be taking data before anything
  plays, read back while it runs;
- ``rendered``: the expected audio, what the server masters, fetched over HTTP (the stream
  API's chunk cores tile the track exactly, WIRE.md), independent of the client's joiner;
- ``compare``: the alignment maths. A recording is aligned with the expected audio by
  cross-correlation; then

  * coverage = the fraction of the expected audio's 10 ms blocks (the last one may be
    shorter) found at the aligned place in the recording: block ``k`` is found when
    ``‖rec_k − exp_k‖ ≤ tolerance · max(‖exp_k‖, SILENCE · √size)``. One alignment serves
    the whole track, so a dropped, repeated or inserted stretch (even one frame) moves
    every block after it off its place and they are not found: coverage 1.000 means no
    sample was lost, repeated or delayed anywhere. The first block is judged from the first
    frame found on, if that is within ``HEAD_ALLOWANCE_S`` (1 ms), so that the head is
    measured by one check only: the first-frame loss;
  * first-frame loss = 1 + the last frame of the first block that differs from the
    expected frame by more than the sample tolerance (0 when none does), in ms: the first
    frames of a track are loud, so a missing head shows as silence where sound belongs. A
    quiet head (a fade-in) lost stays under that tolerance, so the loss is then the first
    frame from which the first block is found, when that is within the allowance;
    end loss, the same from the end (over the last 100 ms), says how much of a tail was cut;
  * ncc = normalised cross-correlation of the aligned span, all channels (from the first
    frame found on, as for coverage);
  * stray = frames with sound in the recording outside every aligned span (a repeat of
    the last buffer after the end, sound before the start).

The test signal (``aperiodic``) is band-limited noise under a random envelope that starts
loud: nothing in it repeats, so no misplaced block can match by chance.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import soundfile
from mutagen.flac import FLAC
from scipy.signal import butter, correlate, sosfilt

from auralis_server.config import Settings
from auralis_server.http.app import create_app
from auralis_server.library.models import close_database, open_database
from auralis_server.library.scanner import Scanner
from shared.wire import iter_frames
from tests.conftest import LiveServer

Audio = npt.NDArray[np.float64]  # (frames, channels)

BLOCK_S = 0.010
HEAD_ALLOWANCE_S = 0.001  # what the first-frame check lets go at the start (see Recorder)
SILENCE = 10 ** (-60 / 20)  # −60 dBFS: below it a sample counts as silence


@dataclass(frozen=True)
class Tolerance:
    """How close a recording must be to the expected audio to count a block or frame as found."""

    block: float  # relative error of a 10 ms block
    sample: float  # absolute error of one frame (the first-frame check)


# The sink's path without resampling: float32 → the sink's s16 → float32 in parec. The error
# is the 16-bit quantisation, ≤ 3e-5 of full scale: −40 dB or more under even the quietest
# 10 ms block (the envelope's floor is −30 dB under its −12 dBFS RMS start).
EXACT = Tolerance(block=0.01, sample=0.01)
# Through PulseAudio's resampler (a track at another rate than the sink's), compared with the
# render resampled by soxr (VHQ) and aligned to a fraction of a frame: measured block errors
# are ≤ 0.002 (p99; −54 dB), the two resamplers' filters differing slightly; 0.05 (−26 dB)
# leaves room for that and still fails a block out of place (error ≈ 1.4, +3 dB).
RESAMPLED = Tolerance(block=0.05, sample=0.05)

NCC_MIN = 0.999
MAX_LOST_START_MS = 1.0
TAIL_S = 0.1  # the end of a track where a cut tail shows (``verdict``)


class KnownBug(AssertionError):
    """Failures that all match known engine bugs (a cut tail, say): the tests that meet them
    are marked xfail on this type, so that any other failure still fails them."""


@dataclass(frozen=True)
class Match:
    """How one expected signal was found in a recording."""

    offset: float  # recording frame where expected frame 0 sits (fractional when resampled)
    frames: int  # frames of the expected signal
    rate_hz: int
    ncc: float
    missing_blocks: tuple[int, ...]  # indices of the 10 ms blocks not found in place
    blocks: int
    lost_start_frames: int
    lost_end_frames: int  # from the first wrong frame of the last 100 ms to the end (a cut tail)

    @property
    def coverage(self) -> float:
        return 1.0 - len(self.missing_blocks) / self.blocks

    @property
    def lost_start_ms(self) -> float:
        return 1000.0 * self.lost_start_frames / self.rate_hz

    @property
    def lost_end_ms(self) -> float:
        return 1000.0 * self.lost_end_frames / self.rate_hz

    @property
    def end(self) -> float:
        return self.offset + self.frames

    def summary(self) -> str:
        missing = ""
        if self.missing_blocks:
            shown = ", ".join(f"{k * BLOCK_S:.2f}s" for k in self.missing_blocks[:6])
            missing = f" (missing at {shown}{'…' if len(self.missing_blocks) > 6 else ''})"
        return (
            f"ncc {self.ncc:.5f}, coverage {self.coverage:.3f}{missing},"
            f" first-frame loss {self.lost_start_ms:.2f} ms, end loss {self.lost_end_ms:.1f} ms,"
            f" at {self.offset / self.rate_hz:.3f} s"
        )


# -- the test signal --------------------------------------------------------------------------


def aperiodic(
    seconds: float,
    rate_hz: int,
    channels: int = 2,
    seed: int = 0,
    cutoff_hz: float = 5000.0,
    loud_at: Sequence[float] = (),
) -> Audio:
    """Noise low-passed at ``cutoff_hz`` (so any resampler passes it whole) under an envelope
    that moves between 0 and −30 dB every 50–250 ms, starting at full level: the first frame
    is −6 dBFS in every channel, then about −12 dBFS RMS. The envelope is at full level at
    the ``loud_at`` seconds too (where a test starts playing mid-track), their frame −6 dBFS."""
    rng = np.random.default_rng(seed)
    frames = round(seconds * rate_hz)
    sos = butter(8, cutoff_hz, fs=rate_hz, output="sos")
    noise = sosfilt(sos, rng.standard_normal((frames + 4096, channels)), axis=0)[4096:]
    noise *= 0.25 / noise.std()
    knots = [0]
    while knots[-1] < frames:
        knots.append(knots[-1] + int(rng.integers(rate_hz // 20, rate_hz // 4)))
    levels_db = np.concatenate([[0.0], rng.uniform(-30.0, 0.0, len(knots) - 1)])
    for at in loud_at:  # a 0 dB knot replaces the level there
        keep = np.abs(np.array(knots) - at * rate_hz) > rate_hz // 100
        knots = [*np.array(knots)[keep], round(at * rate_hz)]
        levels_db = np.concatenate([levels_db[keep], [0.0]])
        order = np.argsort(knots)
        knots, levels_db = list(np.array(knots)[order]), levels_db[order]
    envelope = 10 ** (np.interp(np.arange(frames), knots, levels_db) / 20)
    signal = np.clip(noise * envelope[:, None], -0.7, 0.7)
    for at in (0.0, *loud_at):
        signal[round(at * rate_hz)] = 0.5 * np.where(rng.random(channels) < 0.5, -1.0, 1.0)
    return signal


def write_track(
    path: Path,
    seconds: float,
    rate_hz: int = 44100,
    *,
    channels: int = 2,
    subtype: str = "PCM_16",
    seed: int = 0,
    loud_at: Sequence[float] = (),
    title: str | None = None,
    artist: str = "Recorder Artist",
    album: str = "Recorder Album",
    track_no: int = 1,
) -> None:
    """A tagged FLAC of ``aperiodic`` audio (tags give the TUI an artist, album and title)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = aperiodic(seconds, rate_hz, channels, seed, loud_at=loud_at)
    soundfile.write(path, audio, rate_hz, subtype=subtype)
    tags = FLAC(path)
    tags.update(title=title or path.stem, artist=artist, album=album, tracknumber=str(track_no))
    tags.save()


# -- what the server renders ------------------------------------------------------------------


@contextmanager
def library_server(
    settings: Settings, live_server: Callable[..., LiveServer]
) -> Iterator[tuple[LiveServer, dict[str, int]]]:
    """Scan ``settings``' music and serve it; yields the server and the track ids by title."""
    open_database(None, settings.sqlite_path)
    try:
        Scanner(list(settings.music_dirs), workers=1).run()
        server = live_server(create_app(settings))
        listing = httpx.get(f"{server.url}/api/tracks", params={"limit": 100}).json()
        yield server, {track["title"]: track["id"] for track in listing["tracks"]}
    finally:
        close_database()


def rendered(server_url: str, track_id: int, **params: Any) -> tuple[Audio, int]:
    """(samples, rate) of the whole track as the server masters it: the chunk cores of
    ``GET /api/tracks/{id}/stream`` in float32, concatenated (they tile the track exactly)."""
    cores: list[Audio] = []
    rate_hz = 0
    with httpx.stream(
        "GET", f"{server_url}/api/tracks/{track_id}/stream", params=params, timeout=60
    ) as response:
        response.raise_for_status()
        for frame in iter_frames(response.iter_bytes()):
            assert frame.header.chunk_index == len(cores), "chunks out of order"
            cores.append(frame.core.astype(np.float64))
            rate_hz = frame.header.sample_rate_hz
    assert cores and len(cores) == frame.header.chunk_count
    return np.concatenate(cores), rate_hz


# -- the sink ---------------------------------------------------------------------------------


def sink_spec(env: dict[str, str], sink: str) -> tuple[int, int]:
    """(rate, channels) the null sink runs at: what the monitor records without resampling."""
    listing = subprocess.run(
        ["pactl", "list", "short", "sinks"], env=env, capture_output=True, text=True, check=True
    ).stdout
    for line in listing.splitlines():
        fields = line.split("\t")
        if len(fields) >= 4 and fields[1] == sink:
            _, channels, rate = fields[3].split()
            return int(rate.removesuffix("Hz")), int(channels.removesuffix("ch"))
    raise AssertionError(f"no sink {sink} in:\n{listing}")


def poll(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Wait for ``condition`` with a deadline (an event, not a guessed sleep)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Recorder:
    """``parec`` of ``source`` as raw float32 into ``path``; read back while it records.

    ``start`` returns only once bytes are arriving. The latency asked for is the least
    PulseAudio grants (0.5 ms) because it bounds what the monitor misses of a new stream:
    the null sink renders ahead by its latency and posts that to the monitor at once; a
    stream that connects makes the sink rewind and render again from "now" with the new
    stream in, but the monitor cannot take back what it already delivered, so the recording
    lacks the new stream's first (render-ahead) frames. A sound card would play them. With
    parec at 20 ms `paplay` and `auralis play` alike lose 2–18 ms at the start; at 0.5 ms,
    0–0.5 ms — inside the 1 ms the first-frame check allows.
    """

    env: dict[str, str]
    source: str
    path: Path
    rate_hz: int
    channels: int = 2
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout_s: float = 20.0) -> Recorder:
        self.path.unlink(missing_ok=True)  # parec does not truncate: old bytes would count
        with open(self.path.with_suffix(".log"), "wb") as log:
            self._process = subprocess.Popen(
                [
                    "parec",
                    "-d",
                    self.source,
                    "--format=float32le",
                    f"--rate={self.rate_hz}",
                    f"--channels={self.channels}",
                    f"--latency={round(0.0005 * self.rate_hz) * 4 * self.channels}",
                    "--raw",
                    str(self.path),
                ],
                env=self.env,
                stderr=log,
            )
        try:
            self.wait_taking_data(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def frames(self) -> int:
        """Frames recorded so far."""
        try:
            return os.path.getsize(self.path) // (4 * self.channels)
        except FileNotFoundError:
            return 0

    def _alive(self) -> bool:
        process = self._process
        if process is not None and process.poll() is not None:
            log = self.path.with_suffix(".log").read_text(errors="replace")
            raise AssertionError(f"parec exited ({process.returncode}): {log}")
        return True

    def wait_taking_data(self, timeout_s: float = 10.0) -> int:
        """Until the file has grown twice (parec runs and the sink feeds it); the frame count."""
        poll(lambda: self._alive() and self.frames > 0, timeout_s, "parec's first data")
        first = self.frames
        poll(lambda: self._alive() and self.frames > first, timeout_s, "parec to keep recording")
        return self.frames

    def samples(self, start: int = 0, stop: int | None = None) -> Audio:
        """Recorded frames ``start:stop`` (whole frames only), as float64; reads only those."""
        stop = self.frames if stop is None else min(stop, self.frames)
        count = max(0, stop - start) * self.channels
        raw = np.fromfile(self.path, dtype="<f4", count=count, offset=4 * self.channels * start)
        return raw.reshape(-1, self.channels).astype(np.float64)

    def wait_frames(self, count: int, timeout_s: float = 20.0) -> int:
        """Until the recording holds ``count`` frames."""
        poll(lambda: self._alive() and self.frames >= count, timeout_s, f"{count} frames")
        return self.frames

    def wait_silent_after(self, since: int, quiet_s: float = 0.25, timeout_s: float = 20.0) -> int:
        """Until the recording past frame ``since`` has been silent for ``quiet_s`` at its end
        (the sound that reached the sink is all recorded); the frame count then."""
        quiet = round(quiet_s * self.rate_hz)

        def settled() -> bool:
            self._alive()
            total = self.frames
            if total < since + quiet:
                return False
            tail = self.samples(total - quiet, total)
            return bool(len(tail) == quiet and np.abs(tail).max() < SILENCE)

        poll(settled, timeout_s, f"{quiet_s} s of silence at the end of the recording")
        return self.frames

    def wait_sound(self, since: int, timeout_s: float = 30.0) -> int:
        """Until sound appears past frame ``since``; the frame where it starts."""
        found: list[int] = []

        def heard() -> bool:
            self._alive()
            loud = np.flatnonzero(np.abs(self.samples(since)).max(axis=1) >= SILENCE)
            found[:] = loud[:1]
            return bool(len(loud))

        poll(heard, timeout_s, "sound in the recording")
        return since + found[0]


# -- alignment --------------------------------------------------------------------------------


def _mono(audio: Audio) -> npt.NDArray[np.float64]:
    return np.asarray(audio.mean(axis=1), dtype=np.float64)


def locate(recorded: Audio, expected: Audio, *, subsample: bool = False) -> float:
    """The recording frame where ``expected`` starts: the cross-correlation peak, refined to a
    fraction of a frame by a parabola through it when ``subsample`` (a resampled recording)."""
    rec, exp = _mono(recorded), _mono(expected)
    if len(rec) < len(exp):
        rec = np.concatenate([rec, np.zeros(len(exp) - len(rec))])
    scores = correlate(rec, exp, mode="valid", method="fft")  # scores[k]: rec[k:] vs exp
    peak = int(np.argmax(scores))
    if not subsample or not 0 < peak < len(scores) - 1:
        return float(peak)
    left, mid, right = scores[peak - 1 : peak + 2]
    curvature = left - 2 * mid + right
    return peak + (0.5 * (left - right) / curvature if curvature < 0 else 0.0)


def delayed(audio: Audio, delay: float) -> Audio:
    """``audio`` delayed by a fraction of a frame (band-limited: a phase ramp), zero-padded so
    the shift does not wrap around."""
    if delay == 0.0:
        return audio
    pad = 256
    padded = np.concatenate(
        [np.zeros((pad, audio.shape[1])), audio, np.zeros((pad, audio.shape[1]))]
    )
    spectrum = np.fft.rfft(padded, axis=0)
    phase = np.exp(-2j * np.pi * np.fft.rfftfreq(len(padded)) * delay)[:, None]
    return np.fft.irfft(spectrum * phase, n=len(padded), axis=0)[pad:-pad]


def _window(recorded: Audio, start: int, frames: int) -> Audio:
    """``recorded[start:start + frames]``, with silence where the recording does not reach."""
    out = np.zeros((frames, recorded.shape[1]))
    first, last = max(0, start), min(len(recorded), start + frames)
    if last > first:
        out[first - start : last - start] = recorded[first:last]
    return out


def compare(
    recorded: Audio,
    expected: Audio,
    rate_hz: int,
    tolerance: Tolerance = EXACT,
    *,
    offset: float | None = None,
    subsample: bool = False,
) -> Match:
    """Align ``expected`` in ``recorded`` (or take ``offset``) and measure what was found."""
    if expected.shape[1] != recorded.shape[1]:  # a mono track on a stereo sink: both channels
        expected = np.repeat(expected[:, :1], recorded.shape[1], axis=1)
    if offset is None:
        offset = locate(recorded, expected, subsample=subsample)
    whole = int(np.floor(offset))
    reference = delayed(expected, offset - whole)
    got = _window(recorded, whole, len(reference))

    block = round(BLOCK_S * rate_hz)

    def found(first: int, end: int) -> bool:
        want, have = reference[first:end], got[first:end]
        scale = max(float(np.linalg.norm(want)), SILENCE * np.sqrt(want.size))
        return bool(np.linalg.norm(have - want) <= tolerance.block * scale)

    errors = np.abs(got[:block] - reference[:block]).max(axis=1)
    wrong = np.flatnonzero(errors > tolerance.sample)
    lost = int(wrong[-1]) + 1 if len(wrong) else 0
    # A quiet head (a fade-in) lost stays under the sample tolerance: it is lost up to the
    # first frame from which the first block is found, if that is within the allowance.
    allowance = round(HEAD_ALLOWANCE_S * rate_hz)
    lost = next((h for h in range(lost, allowance + 1) if found(h, block)), lost)

    head = min(lost, allowance)  # judged by the first-frame loss only
    starts = range(0, len(reference), block)
    missing = [
        index
        for index, start in enumerate(starts)
        if not found(head if index == 0 else start, start + block)
    ]

    window = min(len(reference), round(0.1 * rate_hz))
    errors = np.abs(got[-window:] - reference[-window:]).max(axis=1)
    wrong = np.flatnonzero(errors > tolerance.sample)
    cut = window - int(wrong[0]) if len(wrong) else 0

    a, b = got[head:].ravel(), reference[head:].ravel()
    ncc = float(a @ b / np.sqrt((a @ a) * (b @ b))) if a.any() else 0.0
    return Match(offset, len(expected), rate_hz, ncc, tuple(missing), len(starts), lost, cut)


def stray_frames(recorded: Audio, spans: Sequence[tuple[float, float]], guard: int = 0) -> int:
    """Frames with sound outside every ``(start, end)`` span (widened by ``guard`` frames)."""
    loud = np.abs(recorded).max(axis=1) >= SILENCE
    for start, end in spans:
        loud[max(0, int(np.floor(start)) - guard) : max(0, int(np.ceil(end)) + guard)] = False
    return int(loud.sum())


# -- verdicts ---------------------------------------------------------------------------------


def problems(match: Match, ncc_min: float = NCC_MIN, stray: int = 0, underruns: int = 0) -> str:
    """Which acceptance checks ``match`` fails, as one phrase ("" when none)."""
    found = []
    if match.coverage != 1.0:
        found.append("coverage < 1")
    if match.lost_start_ms > MAX_LOST_START_MS:
        found.append(f"first frame lost (> {MAX_LOST_START_MS} ms)")
    if match.ncc < ncc_min:
        found.append(f"ncc < {ncc_min}")
    if stray:
        found.append("sound outside the track")
    if underruns:
        found.append("underruns")
    return ", ".join(found)


def verdict(
    recorded: Audio,
    expected: Audio,
    match: Match,
    tolerance: Tolerance = EXACT,
    ncc_min: float = NCC_MIN,
) -> tuple[str, bool]:
    """(the problems of ``match``, whether they are only a cut tail): every missing block in
    the last ``TAIL_S``, and the track without them passing every check."""
    found = problems(match, ncc_min)
    tail_from = np.floor((match.frames - TAIL_S * match.rate_hz) / (BLOCK_S * match.rate_hz))
    if not found or not match.missing_blocks or min(match.missing_blocks) < tail_from:
        return found, False
    kept = expected[: int(tail_from * round(BLOCK_S * match.rate_hz))]
    rest = compare(recorded, kept, match.rate_hz, tolerance, offset=match.offset)
    return found, not problems(rest, ncc_min)


def judge(rows: list[str], failures: list[str], known: Sequence[str] = ()) -> None:
    """Print every run's numbers (shown with -s), then fail on any problem: ``KnownBug`` if
    every failing run matches a known bug (``known``), else a plain assertion."""
    print("\n" + "\n".join(rows))
    assert not failures, "\n".join(failures)
    if known:
        raise KnownBug("\n".join(known))
