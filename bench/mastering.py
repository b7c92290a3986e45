"""Mastering speed: render time of a 10 s chunk per preset, and cold-start time to first frame;
and a library table: how evenly the presets bring a varied generated library to their targets.

The chunk path is the server's: decode the chunk plus its context from a FLAC file, run the
chain. Cold start goes through a real server (uvicorn on loopback) for a 3-minute track that
has never been analysed: request to the first complete frame, plan computed on the way.
The library table renders a generated set — quiet/dynamic mixes, dynamic-loud mixes with
hits standing over full scale, and soft-clipped (compressed-loud) masters, each at several
levels — under every preset, and measures each output with the BS.1770 meter: input and
output LUFS per track, the spread of the outputs, and how many the plan flagged
ceiling-limited (it keeps the peaks under −1 dBTP rather than reaching the target).
On real music (skipped when the packages are absent): ``--estimate-only`` renders every
whole drascula-music track under every preset, planned as the server plans it (fingerprint
values and level profile), and prints the plan's loudness estimate next to the measured output, with the issue-14 item-1 check (target ±1 LU, or
``ceiling_limited_db`` matching the shortfall ±0.5 LU); ``--eq-reference`` prints each whole
drascula/asc track's deviation from the EQ's reference and the correction ``adaptive`` applies.
Usage: python bench/mastering.py [--library-only | --estimate-only | --eq-reference]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import soundfile
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auralis_server.audio.loudness import integrated_loudness  # noqa: E402
from auralis_server.audio.source import probe, read_frames  # noqa: E402
from auralis_server.audio.track import TrackAudio  # noqa: E402
from auralis_server.config import Settings  # noqa: E402
from auralis_server.fingerprint.dsp.analysis import plan_inputs  # noqa: E402
from auralis_server.http.app import create_app  # noqa: E402
from auralis_server.library.demo import SAMPLE_RATE_HZ, SONGS, render_song  # noqa: E402
from auralis_server.library.models import close_database, open_database  # noqa: E402
from auralis_server.library.scanner import Scanner  # noqa: E402
from auralis_server.mastering import chain  # noqa: E402
from auralis_server.mastering.eq import (  # noqa: E402
    REFERENCE_BANDS,
    at_limit,
    correction_gains_db,
    reference_deviations_db,
)
from auralis_server.mastering.plan import make_plan  # noqa: E402
from auralis_server.mastering.profile import measure_profile  # noqa: E402
from auralis_server.mastering.true_peak import true_peak_envelope  # noqa: E402
from auralis_server.streaming.plan_source import PlanSource  # noqa: E402
from auralis_server.streaming.renderer import (
    MasteringRenderer,  # noqa: E402
    RenderSettings,  # noqa: E402
)
from shared.geometry import ChunkGeometry  # noqa: E402
from shared.presets import AUTO_PRESET, PRESETS  # noqa: E402
from shared.wire import FrameReader  # noqa: E402

TRACK_S = 180.0
TARGET_REALTIME = 300.0
OLD_REALTIME = 36.6
TARGET_COLD_S = 1.0
LIBRARY_TRACK_S = 20.0
DRASCULA_DIR = Path("/usr/share/scummvm/drascula/audio")
ASC_DIR = Path("/usr/share/games/asc/music")


def _hits(audio: np.ndarray, peak: float) -> np.ndarray:
    """``audio`` with a 4 ms 2.5 kHz burst of height ``peak`` twice a second (drum-like)."""
    burst_t = np.arange(int(0.004 * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    burst = peak * np.sin(2 * np.pi * 2500 * burst_t) * np.hanning(len(burst_t))
    out = audio.copy()
    for start in range(SAMPLE_RATE_HZ // 4, len(out) - len(burst), SAMPLE_RATE_HZ // 2):
        out[start : start + len(burst)] += burst[:, None]
    return out


# kind: (how a demo song becomes that material, the levels it is set to)
MATERIAL: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, ...]]] = {
    "dynamic": (lambda song: song, (-30.0, -23.0, -17.0, -13.0)),
    "dyn-loud": (lambda song: _hits(song, 1.5), (-11.0, -9.5)),
    "clipped": (lambda song: np.tanh(4.0 * song), (-14.0, -10.0, -8.0, -6.5)),
}


def library_set(seconds: float = LIBRARY_TRACK_S) -> dict[str, np.ndarray]:
    """The generated library: every material at each of its levels, songs taken in turn."""
    tracks = {}
    for kind, (shape, levels) in MATERIAL.items():
        for index, level in enumerate(levels):
            song = render_song(SONGS[index % len(SONGS)], seconds, seed=index + 1)
            audio = shape(song.astype(np.float64))
            gain_db = level - integrated_loudness(audio, SAMPLE_RATE_HZ)
            tracks[f"{kind} {level:g}"] = audio * 10 ** (gain_db / 20)
    return tracks


def library_table() -> None:
    tracks = library_set()
    presets = [*PRESETS, AUTO_PRESET]
    print(f"library table: {len(tracks)} generated {LIBRARY_TRACK_S:.0f} s tracks, output LUFS")
    print("measured (BS.1770); * = the plan flagged it ceiling-limited; auto shows its pick")
    print(f"  {'track':<14}{'in':>7}{'crest':>7}  " + "".join(f"{p:>16}" for p in presets))
    outputs: dict[str, list[float]] = {preset: [] for preset in presets}
    limited = dict.fromkeys(presets, 0)
    for name, audio in tracks.items():
        inputs = plan_inputs(audio, SAMPLE_RATE_HZ)
        profile = measure_profile(audio, SAMPLE_RATE_HZ)
        cells = []
        for preset in presets:
            plan = make_plan(inputs, preset, 1.0, profile=profile)
            lufs = integrated_loudness(chain.render(audio, plan, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ)
            outputs[preset].append(lufs)
            limited[preset] += plan.ceiling_limited_db > 0
            mark = "*" if plan.ceiling_limited_db > 0 else " "
            pick = f"{plan.chosen_preset} " if preset == AUTO_PRESET else ""
            cells.append(f"{pick}{lufs:.1f}{mark}")
        print(
            f"  {name:<14}{inputs['lufs']:>7.1f}{inputs['crest_db']:>7.1f}  "
            + "".join(f"{cell:>16}" for cell in cells)
        )
    spread_in = max(_input_levels(tracks)) - min(_input_levels(tracks))
    print(
        f"  {'spread (LU)':<14}{spread_in:>7.1f}{'':>7}  "
        + "".join(f"{max(outputs[p]) - min(outputs[p]):>16.1f}" for p in presets)
    )
    print(
        f"  {'target':<14}{'':>14}  "
        + "".join(
            f"{PRESETS[p].target_lufs if p in PRESETS else float('nan'):>16.1f}" for p in presets
        )
    )
    print(f"  {'ceiling-lim.':<14}{'':>14}  " + "".join(f"{limited[p]:>16d}" for p in presets))


def _input_levels(tracks: dict[str, np.ndarray]) -> list[float]:
    return [integrated_loudness(audio, SAMPLE_RATE_HZ) for audio in tracks.values()]


def chunk_speed(path: Path) -> None:
    info = soundfile.info(str(path))
    geometry = ChunkGeometry.for_track(info.frames, info.samplerate)
    audio = TrackAudio(1, path, geometry, info.channels)
    open_database(None, path.parent / "speed.db")
    renderer = MasteringRenderer(PlanSource())
    middle = geometry.chunk_count // 2
    print(f"one 10 s chunk (#{middle} of {geometry.chunk_count}), decode + context + chain:")
    print(f"  {'preset':<10}{'ms':>8}{'× real time':>14}{'× target':>10}{'× old':>8}")
    try:
        for preset in PRESETS:
            settings = RenderSettings(preset, 1.0)
            renderer.render(audio, middle, settings)  # plan inputs computed and cached
            best = min(_timed(renderer, audio, middle, settings) for _ in range(15))
            realtime = geometry.chunk_seconds / best
            print(
                f"  {preset:<10}{best * 1000:>8.1f}{realtime:>14.0f}"
                f"{realtime / TARGET_REALTIME:>10.2f}{realtime / OLD_REALTIME:>8.1f}"
            )
    finally:
        close_database()


def _timed(
    renderer: MasteringRenderer, audio: TrackAudio, index: int, settings: RenderSettings
) -> float:
    start = time.perf_counter()
    renderer.render(audio, index, settings)
    return time.perf_counter() - start


def cold_first_frame(folder: Path, data: Path) -> None:
    settings = Settings(
        music_dirs=(folder,),
        data_dir=data,
        cache_dir=data / "cache",
        scan_on_start=False,
        fingerprint_workers=0,
    )
    open_database(None, settings.sqlite_path)
    Scanner([folder], workers=1).run()
    close_database()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            track = client.get("/api/tracks").json()["tracks"][0]
            start = time.perf_counter()
            reader = FrameReader()
            with client.stream("GET", f"/api/tracks/{track['id']}/stream") as response:
                for data_bytes in response.iter_bytes():
                    if reader.feed(data_bytes):
                        break
            elapsed = time.perf_counter() - start
            inputs = client.get(f"/api/tracks/{track['id']}/plan").json()["inputs"]
    finally:
        server.should_exit = True
        thread.join(10)
    print(
        f"cold start, never-analysed {TRACK_S:.0f} s track through the server: first frame in "
        f"{elapsed * 1000:.0f} ms (plan from {inputs} inputs; target ≤ {TARGET_COLD_S * 1000:.0f} ms, "
        f"{TARGET_COLD_S / elapsed:.1f}× under it)"
    )


def estimate_table() -> None:
    """Plan estimate against the measured output on real tracks, every preset."""
    paths = sorted(DRASCULA_DIR.glob("*.ogg"))
    if not paths:
        print("drascula-music not installed: no estimate table")
        return
    errors, item1_misses, limited_peaks = [], 0, []
    print(f"{'track':<14}" + "".join(f"{name:>18}" for name in PRESETS))
    print(f"{'':<14}" + "".join(f"{'est → measured':>18}" for _ in PRESETS))
    for path in paths:
        info = probe(path)
        audio = read_frames(path, 0, info.total_frames)
        values = plan_inputs(audio, info.sample_rate_hz)
        profile = measure_profile(audio, info.sample_rate_hz)
        cells = []
        for name, preset in PRESETS.items():
            plan = make_plan(values, name, 1.0, profile=profile)
            out = chain.render(audio, plan, info.sample_rate_hz)
            measured = integrated_loudness(out, info.sample_rate_hz)
            errors.append(measured - plan.output_lufs_estimate)
            shortfall = preset.target_lufs - measured
            ok = abs(shortfall) <= 1.0 or (
                plan.ceiling_limited_db > 0 and abs(plan.ceiling_limited_db - shortfall) <= 0.5
            )
            item1_misses += not ok
            if plan.ceiling_limited_db > 0:
                peak = float(true_peak_envelope(out, floor=10 ** (-12 / 20)).max(initial=0.0))
                limited_peaks.append(20 * np.log10(max(peak, 1e-12)))
            cells.append(f"{plan.output_lufs_estimate:7.2f} → {measured:6.2f}{'' if ok else '*'}")
        print(f"{path.name:<14}" + "".join(f"{cell:>18}" for cell in cells))
    size = np.abs(errors)
    print(
        f"{len(size)} renders: estimate within ±0.5 LU {int((size <= 0.5).sum())}, within ±1 LU "
        f"{int((size <= 1.0).sum())}, median |error| {np.median(size):.2f} LU; item 1 met by "
        f"{len(size) - item1_misses} (* = missed)"
    )
    if limited_peaks:
        print(
            f"ceiling-limited: {len(limited_peaks)} renders, their true peak median "
            f"{np.median(limited_peaks):.1f} dBTP, lowest {min(limited_peaks):.1f}, highest "
            f"{max(limited_peaks):.1f} (the ceiling is -1.0)"
        )


def eq_reference_table() -> None:
    """Each whole real track's group deviations from the reference and ``adaptive``'s gains."""
    paths = sorted([*DRASCULA_DIR.glob("*.ogg"), *ASC_DIR.glob("*.mp3")])
    if not paths:
        print("drascula-music / asc-music not installed: no EQ reference table")
        return
    print(f"{'track':<20}{'deviation (dB, low → high)':<40}correction (dB)")
    gains = []
    for path in paths:
        info = probe(path)
        values = plan_inputs(read_frames(path, 0, info.total_frames), info.sample_rate_hz)
        bands = {name: values[name] for name in REFERENCE_BANDS}
        deviation = reference_deviations_db(bands)
        gain = correction_gains_db(bands)
        gains.append(gain)
        mark = "  at its limit" if at_limit(gain) else ""
        print(
            f"{path.name:<20}{' '.join(f'{d:+6.1f}' for d in deviation):<40}"
            f"{' '.join(f'{g:+6.1f}' for g in gain)}{mark}"
        )
    size = np.abs(gains)
    limited = sum(at_limit(gain) for gain in gains)
    print(f"median |gain| {np.median(size):.2f} dB; at a limit on {limited} of {len(gains)}")


def main() -> None:
    if "--estimate-only" in sys.argv:
        estimate_table()
        return
    if "--eq-reference" in sys.argv:
        eq_reference_table()
        return
    library_table()
    if "--library-only" in sys.argv:
        return
    with tempfile.TemporaryDirectory(prefix="auralis-bench-master-") as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "music"
        folder.mkdir()
        path = folder / "track.flac"
        soundfile.write(
            path, render_song(SONGS[1], TRACK_S, seed=2), SAMPLE_RATE_HZ, subtype="PCM_16"
        )
        chunk_speed(path)
        cold_first_frame(folder, tmp / "data")


if __name__ == "__main__":
    main()
