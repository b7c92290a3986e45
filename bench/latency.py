"""Client latency through the real server and engine: first sample out, and first sound heard.

For 3-minute tracks served by `auralis-server` in another process, each measured 20 times
(median and p95; a row is ok when its p95 is within the target):
- first sample handed to the output (the sound card replaced by a capture):
  - key press (Enter in the TUI, on a track the cursor rested on), warm fingerprint; the
    TUI runs in a child process of its own, whose peak RSS while playing is the client's
    memory (after the first Enter, and after all of them: each Enter starts a new player);
  - the same through the engine alone when nothing was prepared (Enter at once);
  - a seek (start mid-track); a track never analysed;
- first sound heard: a private PulseAudio with a null sink, recorded from its monitor by
  `parec` (started, and seen taking data, before each action; the sink silent before it):
  - key press (Enter in the TUI, playing through PortAudio) → first sound recorded;
  - `auralis play ID` process start → first sound recorded;
  - seek key (`.`, +60 s, from the silent first minute of a track into its music) → first
    sound of the new position.
  The recorder's own latency is calibrated in the same run: `paplay` of a click, from its
  start to the click in the recording. Heard rows show raw and calibrated (raw − the
  calibration's median) numbers.
Targets (SPEC §10): first sample ≤ 150 ms, seek ≤ 200 ms, never analysed ≤ 1.0 s, RSS
≤ 120 MB; heard: Enter ≤ 150 ms, `auralis play` ≤ 500 ms, seek ≤ 200 ms.
Usage: python bench/latency.py
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import serve, stop  # noqa: E402

TRACK_S = 180.0
REPEATS = 20
SILENT_LEAD_S = 60.0  # the seek track's first minute is digital silence
SINK = "auralis_null"
RATE_HZ = 44100
THRESHOLD = 1e-4  # louder than this is sound (an idle null sink records exact zeros)


# -- first sample out (the engine and the TUI against a capture) --------------------------


async def _first_sample_s(
    url: str, track_id: int, start_s: float = 0.0, intensity: float = 1.0
) -> float:
    from auralis_tui.api import AuralisClient
    from auralis_tui.engine.outputs import CaptureOutput
    from auralis_tui.engine.player import Player
    from auralis_tui.engine.types import PlaybackSettings

    output = CaptureOutput(realtime=True)
    async with AuralisClient(url) as client:
        player = Player(client, output, settings=PlaybackSettings("adaptive", intensity))
        started = time.perf_counter()
        task = asyncio.create_task(player.play([track_id], start_s=start_s))
        while output.first_sample_at is None:
            await asyncio.sleep(0.001)
        latency = output.first_sample_at - started
        task.cancel()
    output.stop()
    return latency


def _uncached_intensities() -> list[float]:
    """One per repetition: another plan each time, so no chunk comes from the server's cache
    (the TUI plays at 1.0)."""
    return [round(0.99 - 0.01 * index, 2) for index in range(REPEATS)]


async def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the TUI did not get there")
        await asyncio.sleep(0.005)


async def _tui_key_to_sample(url: str, track_ids: list[int]) -> dict[str, object]:
    """In the TUI: rest the cursor on a track, press Enter, time the first sample out."""
    import resource

    from auralis_tui.api import AuralisClient
    from auralis_tui.app.app import AuralisApp
    from auralis_tui.app.widgets.track_table import TrackTable
    from auralis_tui.engine.outputs import CaptureOutput
    from auralis_tui.engine.session import Session

    outputs: list[CaptureOutput] = []

    def output() -> CaptureOutput:
        outputs.append(CaptureOutput(realtime=True))
        return outputs[-1]

    latencies: list[float] = []
    async with AuralisClient(url) as client:
        app = AuralisApp(client, Session(client, output))
        async with app.run_test(size=(120, 36)) as pilot:
            tracks = app.query_one("#tracks", TrackTable)
            await _until(lambda: all(t in tracks.track_ids for t in track_ids))
            await pilot.press("tab", "tab")
            for repeat in range(REPEATS):
                track_id = track_ids[repeat % len(track_ids)]
                tracks.move_cursor(row=tracks.track_ids.index(track_id))
                await asyncio.sleep(1.0)  # the cursor rests on it, as a person's would
                before = len(outputs)
                pressed = time.perf_counter()
                await pilot.press("enter")
                await _until(lambda n=before: len(outputs) > n and outputs[n].first_sample_at)
                latencies.append(outputs[before].first_sample_at - pressed)  # type: ignore[operator]
                for finished in outputs[:before]:
                    finished.blocks.clear()  # the capture's memory is the bench's, not the TUI's
                if repeat == 0:
                    await asyncio.sleep(5.0)  # playing: buffers full, the bar repainting
                    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            peak_after_all_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            await pilot.press("q")
    return {
        "key_to_sample_s": latencies,
        "peak_rss_mb": peak_mb,
        "peak_rss_after_all_mb": peak_after_all_mb,
    }


# -- first sound heard (PulseAudio null sink, recorded from its monitor) -------------------


async def _tui_heard(url: str, track_ids: list[int], seek_track: int) -> dict[str, object]:
    """The TUI playing through PortAudio to the null sink; when each key was pressed.

    Enter: on a track the cursor rested on, the sink silent (the last one paused). Seek:
    `.` one second into the seek track, whose first minute is silence, so the first sound
    after the key is the new position's. The parent reads the recording.
    """
    from auralis_tui.api import AuralisClient
    from auralis_tui.app.app import AuralisApp
    from auralis_tui.app.widgets.track_table import TrackTable
    from auralis_tui.engine.outputs import SoundDeviceOutput
    from auralis_tui.engine.session import Session

    enter_at: list[float] = []
    seek_at: list[float] = []
    async with AuralisClient(url) as client:
        session = Session(client, lambda: SoundDeviceOutput("pulse"))
        app = AuralisApp(client, session)

        def at(track_id: int, low_s: float, high_s: float) -> Callable[[], bool]:
            """Playing ``track_id`` between ``low_s`` and ``high_s`` (so not the last run,
            which plays on for a moment after Enter)."""

            def reached() -> bool:
                status = session.status()
                return (
                    status.state == "playing"
                    and status.track_id == track_id
                    and low_s <= status.position_s < high_s
                )

            return reached

        async with app.run_test(size=(120, 36)) as pilot:
            tracks = app.query_one("#tracks", TrackTable)
            await _until(lambda: all(t in tracks.track_ids for t in [*track_ids, seek_track]))
            await pilot.press("tab", "tab")
            for repeat in range(REPEATS):
                track_id = track_ids[repeat % len(track_ids)]
                tracks.move_cursor(row=tracks.track_ids.index(track_id))
                await asyncio.sleep(1.0)  # rests on it (its first chunk prepared); silence
                enter_at.append(time.monotonic())
                await pilot.press("enter")
                await _until(at(track_id, 0.5, 5.0))
                await pilot.press("space")  # paused: the sink is silent again
            tracks.move_cursor(row=tracks.track_ids.index(seek_track))
            for _ in range(REPEATS):
                await pilot.press("enter")  # from its start: silence
                await _until(at(seek_track, 1.0, SILENT_LEAD_S / 2))
                seek_at.append(time.monotonic())
                await pilot.press("full_stop")
                await _until(at(seek_track, SILENT_LEAD_S + 1.5, TRACK_S))
            await pilot.press("space")
            await pilot.press("q")
    return {"enter_at": enter_at, "seek_at": seek_at}


class Recorder:
    """`parec` on the null sink's monitor, and when each block of it arrived here.

    It asks for 10 ms blocks, so what it hears arrives within ~10 ms (the calibration
    measures it). A stream asking for low latency also makes the null sink run with low
    latency, as a sound card's sink would (alone it runs with 2 s).
    """

    def __init__(self, env: dict[str, str]) -> None:
        command = ["parec", "-d", f"{SINK}.monitor", "--format=float32le", f"--rate={RATE_HZ}"]
        command += ["--channels=1", "--latency-msec=10", "--raw"]
        self._process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
        self._data = bytearray()
        self._arrived: list[float] = []  # time.monotonic() of each block
        self._totals: list[int] = []  # frames received once that block was in
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while block := os.read(fd, 65536):
            now = time.monotonic()
            with self._lock:
                self._data += block
                self._arrived.append(now)
                self._totals.append(len(self._data) // 4)

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        self._thread.join(10)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _frames_by(self, moment: float) -> int:
        """Frames received by ``moment``."""
        index = bisect.bisect_right(self._arrived, moment)
        return self._totals[index - 1] if index else 0

    def _samples(self, first: int, last: int) -> np.ndarray:
        with self._lock:
            return np.frombuffer(bytes(self._data[first * 4 : last * 4]), dtype="<f4")

    def wait_taking_data(self, timeout_s: float = 10.0) -> None:
        """Until blocks keep arriving: the recorder runs before anything is measured."""
        deadline = time.monotonic() + timeout_s
        while not self.taking_data(time.monotonic()):
            if time.monotonic() > deadline:
                raise SystemExit("parec records nothing from the null sink's monitor")
            time.sleep(0.01)

    def taking_data(self, moment: float) -> bool:
        """Blocks arrived in the 50 ms before ``moment`` and the 0.5 s before that."""
        with self._lock:
            return self._frames_by(moment) > self._frames_by(moment - 0.05) > 0 and (
                self._frames_by(moment - 0.05) > self._frames_by(moment - 0.55)
            )

    def silent_before(self, moment: float, span_s: float = 0.3) -> bool:
        with self._lock:
            first, last = self._frames_by(moment - span_s), self._frames_by(moment)
        samples = self._samples(first, last)
        return len(samples) > 0 and float(np.abs(samples).max()) <= THRESHOLD

    def first_sound(self, after: float, within_s: float = 5.0) -> float | None:
        """When the first sound received after ``after`` arrived; None if none within."""
        deadline = after + within_s
        with self._lock:
            scanned = self._frames_by(after)
        while True:
            now = time.monotonic()
            with self._lock:
                total = self._frames_by(min(now, deadline))
            loud = np.flatnonzero(np.abs(self._samples(scanned, total)) > THRESHOLD)
            if len(loud):
                frame = scanned + int(loud[0])
                with self._lock:
                    return self._arrived[bisect.bisect_right(self._totals, frame)]
            if now > deadline:
                return None
            scanned = total
            time.sleep(0.002)

    def wait_silence(self, span_s: float = 0.3, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.silent_before(time.monotonic(), span_s):
            if time.monotonic() > deadline:
                raise SystemExit("the null sink never fell silent")
            time.sleep(0.02)


@dataclass
class Heard:
    """Latencies from an action to its first sound in the recording, in seconds."""

    raw_s: list[float]
    invalid: int = 0  # actions without a silent, recording sink before them, or no sound


def _heard(recorder: Recorder, moments: list[float]) -> Heard:
    """For actions another process timed: each one's first sound before the next action."""
    ends = [*moments[1:], moments[-1] + 5.0]
    sounds = [
        recorder.first_sound(m, min(5.0, end - m)) for m, end in zip(moments, ends, strict=True)
    ]
    return _checked(recorder, moments, sounds)


def _calibrate(recorder: Recorder, click: Path, env: dict[str, str]) -> Heard:
    """`paplay` of a click: from its start to the click in the recording."""
    moments: list[float] = []
    sounds: list[float | None] = []
    for _ in range(REPEATS):
        recorder.wait_silence()
        moments.append(time.monotonic())
        player = subprocess.Popen(["paplay", "--latency-msec=10", str(click)], env=env)
        sounds.append(recorder.first_sound(moments[-1]))
        player.wait(10)
    return _checked(recorder, moments, sounds)


def _auralis_play(recorder: Recorder, url: str, track_ids: list[int], env: dict[str, str]) -> Heard:
    """`auralis play ID`: from the process start to its first sound (then it is stopped)."""
    moments: list[float] = []
    sounds: list[float | None] = []
    for repeat in range(REPEATS):
        command = [sys.executable, "-m", "auralis_tui.cli", "--server", url, "play"]
        command += [str(track_ids[repeat % len(track_ids)]), "--device", "pulse"]
        recorder.wait_silence()
        moments.append(time.monotonic())
        player = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        sounds.append(recorder.first_sound(moments[-1], within_s=10.0))
        player.terminate()
        player.wait(10)
    return _checked(recorder, moments, sounds)


def _checked(recorder: Recorder, moments: list[float], sounds: list[float | None]) -> Heard:
    heard = Heard([])
    for moment, sound in zip(moments, sounds, strict=True):
        if sound is None or not (recorder.taking_data(moment) and recorder.silent_before(moment)):
            heard.invalid += 1
        else:
            heard.raw_s.append(sound - moment)
    return heard


def _click(path: Path) -> Path:
    import soundfile

    t = np.arange(int(0.05 * RATE_HZ)) / RATE_HZ
    soundfile.write(path, 0.5 * np.sin(2 * np.pi * 1000 * t), RATE_HZ)
    return path


def _start_pulse(tmp: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """A private PulseAudio with the null sink (as the tests' fixture), and its clients' env."""
    for tool in ("pulseaudio", "parec", "paplay", "pactl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} missing (apt-get install pulseaudio pulseaudio-utils)")
    runtime, home = tmp / "pulse-runtime", tmp / "home"
    runtime.mkdir(mode=0o700)
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALIS_")}
    env.update(XDG_RUNTIME_DIR=str(runtime), PULSE_SINK=SINK, HOME=str(home))
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            f"--load=module-null-sink sink_name={SINK}",
            "--load=module-native-protocol-unix",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        if time.monotonic() > deadline or daemon.poll() is not None:
            raise SystemExit("PulseAudio did not start")
        time.sleep(0.1)
    subprocess.run(["pactl", "set-default-sink", SINK], env=env, check=True, capture_output=True)
    return daemon, env


# -- the library and the server ------------------------------------------------------------


def _prepare(tmp: Path) -> tuple[Path, dict[str, list[int]]]:
    """Three 3-minute songs with their fingerprints stored; a seek track (a silent minute,
    then music), stored too; one never analysed song under REPEATS names (hard links: one
    file, each a track the server has never seen).

    Runs in a helper process, so the server's modules never load into the client's.
    """
    import soundfile

    from auralis_server.fingerprint import store as fingerprint_store
    from auralis_server.fingerprint.worker import fingerprint_file
    from auralis_server.library.demo import SAMPLE_RATE_HZ, SONGS, render_song
    from auralis_server.library.models import Track, close_database, open_database
    from auralis_server.library.scanner import Scanner

    music = tmp / "music"
    (music / "warm").mkdir(parents=True)
    (music / "cold").mkdir()
    for index in range(3):
        song = render_song(SONGS[index], TRACK_S, seed=index)
        soundfile.write(music / "warm" / f"{index}.flac", song, SAMPLE_RATE_HZ)
    lead = np.zeros((int(SILENT_LEAD_S * SAMPLE_RATE_HZ), 2), dtype=np.float32)
    music_part = render_song(SONGS[4], TRACK_S - SILENT_LEAD_S, seed=4)
    soundfile.write(
        music / "warm" / "seek.flac", np.concatenate([lead, music_part]), SAMPLE_RATE_HZ
    )
    cold = music / "cold" / "00.flac"
    soundfile.write(cold, render_song(SONGS[3], TRACK_S, seed=3), SAMPLE_RATE_HZ)
    for index in range(1, REPEATS):
        os.link(cold, music / "cold" / f"{index:02d}.flac")
    open_database(None, tmp / "data" / "auralis.db")
    try:
        Scanner([music], workers=1).run()
        warm = list(Track.select().where(Track.path.contains("/warm/")).order_by(Track.path))
        for track in warm:
            values, _ = fingerprint_file(track.path)
            fingerprint_store.save(track.id, values, "python")
        cold_ids = [
            t.id for t in Track.select().where(Track.path.contains("/cold/")).order_by(Track.path)
        ]
        return music, {"warm": [t.id for t in warm[:3]], "seek": [warm[3].id], "cold": cold_ids}
    finally:
        close_database()


def _serve(music: Path, data: Path) -> tuple[subprocess.Popen[str], str]:
    return serve(music, data, "--no-scan", env={"AURALIS_FINGERPRINT_WORKERS": "0"})


def _run_child(mode: str, url: str, ids: list[int], env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, __file__, mode, url, *map(str, ids)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env=env,
    )
    if result.returncode:
        raise SystemExit(f"the TUI child ({mode}) failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- the table -------------------------------------------------------------------------------


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def _row(label: str, values_s: list[float], target_ms: float, note: str = "") -> None:
    if not values_s:
        print(f"{label:<66}{'no valid measurement':>30}")
        return
    median_ms, p95_ms = statistics.median(values_s) * 1000, _p95(values_s) * 1000
    verdict = "ok" if p95_ms <= target_ms else "MISSED"
    print(f"{label:<66}{median_ms:>8.0f}ms{p95_ms:>8.0f}ms{target_ms:>8.0f}ms  {verdict:<7}{note}")


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="auralis-bench-latency-") as name:
        tmp = Path(name)
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as helper:
            music, ids = helper.submit(_prepare, tmp).result()
        warm, seek_track, cold = ids["warm"], ids["seek"][0], ids["cold"]
        daemon, pulse_env = _start_pulse(tmp)
        server, url = _serve(music, tmp / "data")
        recorder: Recorder | None = None
        try:
            asyncio.run(_first_sample_s(url, warm[2], start_s=30.0))  # the server warms up
            tui = _run_child("--tui-child", url, warm)
            at_once = [
                asyncio.run(_first_sample_s(url, warm[1], 0.0, x)) for x in _uncached_intensities()
            ]
            seek = [
                asyncio.run(_first_sample_s(url, warm[1], 97.3, x)) for x in _uncached_intensities()
            ]
            never = [asyncio.run(_first_sample_s(url, track)) for track in cold]

            recorder = Recorder(pulse_env)
            recorder.wait_taking_data()
            calibration = _calibrate(recorder, _click(tmp / "click.wav"), pulse_env)
            moments = _run_child("--tui-heard-child", url, [*warm, seek_track], pulse_env)
            enter_heard = _heard(recorder, moments["enter_at"])
            seek_heard = _heard(recorder, moments["seek_at"])
            play_heard = _auralis_play(recorder, url, warm, pulse_env)
        finally:
            if recorder is not None:
                recorder.close()
            stop(server)
            daemon.terminate()
            daemon.wait(10)

    print("through a real server in another process; the TUI in a process of its own;")
    print(f"{REPEATS} repetitions each; ok when the p95 is within the target")
    print(f"{'measure':<66}{'median':>10}{'p95':>10}{'target':>10}")
    _row("TUI: Enter → first sample (cursor rested on it)", tui["key_to_sample_s"], 150)
    _row("engine: play → first sample, nothing prepared", at_once, 150)
    _row("engine: seek (start at 97.3 s) → first sample", seek, 200)
    _row("engine: play → first sample, never analysed", never, 1000)
    rss_mb = float(tui["peak_rss_mb"])  # type: ignore[arg-type]
    verdict = "ok" if rss_mb <= 120 else "MISSED"
    print(f"{'TUI client peak RSS while playing':<66}{rss_mb:>8.0f}MB{'':>10}{120:>8}MB  {verdict}")
    after_mb = float(tui["peak_rss_after_all_mb"])  # type: ignore[arg-type]
    verdict = "ok" if after_mb <= 120 else "MISSED"
    print(f"{f'  … after {REPEATS} Enters':<66}{after_mb:>8.0f}MB{'':>10}{120:>8}MB  {verdict}")

    recorder_s = statistics.median(calibration.raw_s) if calibration.raw_s else 0.0
    print()
    print(
        f"heard: parec on the null sink's monitor; recorder latency (paplay click → recorded) "
        f"median {recorder_s * 1000:.0f} ms, p95 "
        f"{_p95(calibration.raw_s) * 1000 if calibration.raw_s else float('nan'):.0f} ms "
        f"({len(calibration.raw_s)} of {REPEATS}); calibrated = raw − {recorder_s * 1000:.0f} ms"
    )
    print(f"{'measure':<66}{'median':>10}{'p95':>10}{'target':>10}")
    for label, heard, target in (
        ("TUI: Enter → first sound", enter_heard, 150),
        ("`auralis play ID` process start → first sound", play_heard, 500),
        ("TUI: seek key (.) → first sound of the new position", seek_heard, 200),
    ):
        note = f"  ({heard.invalid} of {REPEATS} invalid)" if heard.invalid else ""
        _row(f"{label}, raw", heard.raw_s, target, note)
        _row(f"{label}, calibrated", [s - recorder_s for s in heard.raw_s], target)
    print(f"\n(bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--tui-child"]:
        result = asyncio.run(_tui_key_to_sample(sys.argv[2], [int(a) for a in sys.argv[3:]]))
        print(json.dumps(result))
    elif sys.argv[1:2] == ["--tui-heard-child"]:
        *track_ids, seek_id = (int(a) for a in sys.argv[3:])
        print(json.dumps(asyncio.run(_tui_heard(sys.argv[2], track_ids, seek_id))))
    else:
        main()
