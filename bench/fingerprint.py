"""Fingerprint speed: our Python implementation against a librosa-based equivalent.

Both analyse the same decoded 3-minute track in one run (librosa on the whole track, the way
the old system did; ours uses excerpts for HPSS and YIN as SPEC §4 allows), then library
throughput in tracks/min through the worker pool on a folder of 3-minute tracks.
Usage: python bench/fingerprint.py [--tracks N] [--workers W]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auralis_server.db import close_database, open_database  # noqa: E402
from auralis_server.demo import SAMPLE_RATE_HZ, SONGS, render_song  # noqa: E402
from auralis_server.dsp.fingerprint import compute_fingerprint  # noqa: E402
from auralis_server.fingerprint_queue import FingerprintQueue  # noqa: E402
from auralis_server.scanner import Scanner  # noqa: E402

TRACK_S = 180.0
TARGET_RATIO = 3.0


def librosa_equivalent(audio: np.ndarray, rate_hz: int) -> dict[str, float]:
    """The same dimensions the librosa way: stft, hpss, yin, chroma_stft, beat_track, pyloudnorm."""
    import librosa
    import pyloudnorm

    meter = pyloudnorm.Meter(rate_hz)
    lufs = meter.integrated_loudness(audio)
    short_term = [
        meter.integrated_loudness(audio[start : start + 3 * rate_hz])
        for start in range(0, len(audio) - 3 * rate_hz, rate_hz)
    ]
    mono = librosa.resample(
        audio.mean(axis=1), orig_sr=rate_hz, target_sr=22050, res_type="soxr_hq"
    )
    stft = librosa.stft(mono, n_fft=2048, hop_length=512)
    power = np.abs(stft) ** 2
    harmonic, percussive = librosa.decompose.hpss(stft, kernel_size=31, power=2.0)
    f0 = librosa.yin(mono, fmin=65.4, fmax=2093.0, sr=22050, frame_length=2048)
    chroma = librosa.feature.chroma_stft(S=power, sr=22050)
    tempo, beats = librosa.beat.beat_track(y=mono, sr=22050)
    onsets = librosa.onset.onset_detect(y=mono, sr=22050)
    centroid = librosa.feature.spectral_centroid(S=np.abs(stft), sr=22050)
    rolloff = librosa.feature.spectral_rolloff(S=np.abs(stft), sr=22050)
    flatness = librosa.feature.spectral_flatness(S=np.abs(stft))
    return {
        "lufs": float(lufs),
        "short_term_std": float(np.std([v for v in short_term if np.isfinite(v)])),
        "harmonic_ratio": float(
            (np.abs(harmonic) ** 2).sum()
            / ((np.abs(harmonic) ** 2).sum() + (np.abs(percussive) ** 2).sum())
        ),
        "pitch_std": float(np.std(12 * np.log2(f0 / 440))),
        "chroma": float(((chroma / chroma.sum(axis=0, keepdims=True)) ** 2).sum(axis=0).mean()),
        "tempo": float(np.atleast_1d(tempo)[0]),
        "beats": float(len(beats)),
        "onsets": float(len(onsets)),
        "centroid": float(centroid.mean()),
        "rolloff": float(rolloff.mean()),
        "flatness": float(flatness.mean()),
    }


def _best_of(runs: int, function: Any, *args: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def _throughput(folder: Path, workers: int, tmp: Path) -> tuple[int, float]:
    open_database(None, tmp / "bench.db")
    done = threading.Event()
    finished: list[int] = []

    def record(kind: str, data: dict[str, Any]) -> None:
        if data.get("status") in ("complete", "error"):
            finished.append(data["track_id"])
            if data["status"] == "error":
                raise SystemExit(f"track {data['track_id']} failed: {data.get('error')}")

    try:
        count = Scanner([folder], workers=1).run().discovered
        queue = FingerprintQueue(workers=workers, cache_dir=tmp / "cache", publish=record)
        start = time.perf_counter()
        queue.start()
        while len(finished) < count:
            done.wait(0.05)
        elapsed = time.perf_counter() - start
        queue.stop()
    finally:
        close_database()
    return count, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=8, help="tracks for the throughput run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    audio = render_song(SONGS[2], TRACK_S, seed=3).astype(np.float64)
    compute_fingerprint(audio[: SAMPLE_RATE_HZ * 5], SAMPLE_RATE_HZ)  # warm caches and imports
    ours_s = _best_of(3, compute_fingerprint, audio, SAMPLE_RATE_HZ)
    try:
        librosa_equivalent(audio[: SAMPLE_RATE_HZ * 5], SAMPLE_RATE_HZ)
        librosa_s = _best_of(1, librosa_equivalent, audio, SAMPLE_RATE_HZ)
    except ImportError:
        librosa_s = float("nan")
        print("librosa or pyloudnorm missing: pip install -e '.[dev,bench]'")
    print(f"one {TRACK_S:.0f} s stereo track, 44.1 kHz, features only")
    print(f"  python (ours)        {ours_s:7.2f} s")
    print(f"  librosa equivalent   {librosa_s:7.2f} s")
    ratio = librosa_s / ours_s
    print(f"  ours is {ratio:.1f}× faster than librosa (target ≥ {TARGET_RATIO:.0f}×)")
    with tempfile.TemporaryDirectory(prefix="auralis-bench-fp-") as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "music"
        folder.mkdir()
        for index in range(args.tracks):
            song = SONGS[index % len(SONGS)]
            soundfile.write(
                folder / f"{index:02d}.flac", render_song(song, TRACK_S, seed=index), SAMPLE_RATE_HZ
            )
        count, elapsed = _throughput(folder, args.workers, tmp)
    print(
        f"library: {count} tracks of {TRACK_S:.0f} s with {args.workers} workers in {elapsed:.1f} s "
        f"= {count / elapsed * 60:.0f} tracks/min (decode included)"
    )


if __name__ == "__main__":
    main()
