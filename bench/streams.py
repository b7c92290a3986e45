"""Time to first byte of a mastered Subsonic ``stream`` beside the chunk stream's first frame,
and of a byte range in the middle of a 40-minute ``audio.wav`` beside that track's first frame.

Tracks served by `auralis-server` in another process, fingerprinted before the first round.
Each request is for a track no earlier request touched, so every answer is rendered cold
(nothing from the chunk cache) from a stored fingerprint. The 40-minute track is one track:
each of its requests asks for an intensity no earlier one did, so it renders cold too.
Targets (issue 15): a mastered stream's first byte ≤ the chunk stream's first frame + 50 ms;
a range in the middle of a 40-minute track within 2× the first-chunk latency.
Usage: python bench/streams.py [--rounds N] [--long-minutes M]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import serve, stop  # noqa: E402
from shared.wire import FrameReader  # noqa: E402

TRACK_S = 40.0
RATE_HZ = 44100
PASSWORD = "bench"
FORMATS = ("flac", "wav", "mp3", "opus")
MARGIN_S = 0.050
LONG_MINUTES = 40
LONG_NAME = "long.wav"
RANGE_BYTES = 1 << 16  # what a player asks for after a seek, give or take
RANGE_RATIO = 2.0
MIDDLE_SPREAD = 0.1  # ranges start within ±10 % of the track's middle


def _signal(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    return np.stack([tone, np.roll(tone, 99)], axis=1)


def _write_track(path: Path, seed: int) -> None:
    soundfile.write(path, _signal(TRACK_S, seed), RATE_HZ, subtype="PCM_16")


def _write_long_track(path: Path, minutes: int) -> None:
    """Written a minute at a time: the whole at once would be GBs of float64."""
    with soundfile.SoundFile(path, "w", RATE_HZ, 2, subtype="PCM_16") as out:
        for minute in range(minutes):
            out.write(_signal(60.0, 1000 + minute))


def _fingerprinted(client: httpx.Client, count: int) -> list[dict[str, object]]:
    """The tracks once the server has scanned and fingerprinted all of them."""
    while True:
        tracks = client.get("/api/tracks", params={"limit": count}).json()["tracks"]
        if len(tracks) == count and all(t["fingerprint_status"] == "complete" for t in tracks):
            return list(tracks)
        time.sleep(0.2)


def _first_frame_s(
    client: httpx.Client, track_id: int, params: dict[str, str] | None = None
) -> float:
    started = time.perf_counter()
    reader = FrameReader()
    url = f"/api/tracks/{track_id}/stream"
    with client.stream("GET", url, params=params) as response:
        for data in response.iter_bytes():
            if reader.feed(data):
                return time.perf_counter() - started
    raise SystemExit("the chunk stream sent no frame")


def _first_byte_s(client: httpx.Client, track_id: int, kind: str) -> float:
    query = {"u": "auralis", "p": PASSWORD, "id": f"tr-{track_id}", "format": kind}
    started = time.perf_counter()
    with client.stream("GET", "/rest/stream", params=query) as response:
        if not response.headers["content-type"].startswith("audio/"):
            raise SystemExit(f"stream {kind}: {response.read()[:200]!r}")
        for data in response.iter_bytes():
            if data:
                return time.perf_counter() - started
    raise SystemExit(f"stream {kind} sent nothing")


def _middle_range_s(
    client: httpx.Client, track_id: int, params: dict[str, str], rng: np.random.Generator
) -> float:
    """First byte of ``RANGE_BYTES`` from near the middle of the mastered WAV. Its length comes
    from a HEAD first, as a player has it from its first answer; that is not timed."""
    url = f"/api/tracks/{track_id}/audio.wav"
    size = int(client.head(url, params=params).headers["content-length"])
    spread = int(size * MIDDLE_SPREAD)
    first = size // 2 + int(rng.integers(-spread, spread))
    headers = {"Range": f"bytes={first}-{first + RANGE_BYTES - 1}"}
    started = time.perf_counter()
    with client.stream("GET", url, params=params, headers=headers) as response:
        if response.status_code != 206:
            raise SystemExit(f"range {headers['Range']}: {response.status_code}")
        for data in response.iter_bytes():
            if data:
                return time.perf_counter() - started
    raise SystemExit("the range sent nothing")


def _long_track_rounds(
    client: httpx.Client, track_id: int, rounds: int
) -> tuple[list[float], list[float]]:
    """(first frame, middle range) times, interleaved; a new intensity for every request."""
    intensities = iter(np.linspace(0.2, 0.95, 2 * rounds + 1))
    rng = np.random.default_rng(15)

    def fresh() -> dict[str, str]:
        return {"intensity": f"{next(intensities):.4f}"}

    _middle_range_s(client, track_id, fresh(), rng)  # warm-up: the file's first opening
    first_frames, ranges = [], []
    for _ in range(rounds):
        first_frames.append(_first_frame_s(client, track_id, fresh()))
        ranges.append(_middle_range_s(client, track_id, fresh(), rng))
    return first_frames, ranges


def _row(name: str, times_s: list[float]) -> tuple[float, float]:
    median = statistics.median(times_s)
    p95 = sorted(times_s)[min(len(times_s) - 1, round(0.95 * (len(times_s) - 1)))]
    print(f"  {name:<28} median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    return median, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--long-minutes", type=int, default=LONG_MINUTES)
    options = parser.parse_args()
    rounds = options.rounds
    with tempfile.TemporaryDirectory() as temp:
        music, data = Path(temp) / "music", Path(temp) / "data"
        music.mkdir()
        count = 2 + rounds * (1 + len(FORMATS))
        for seed in range(count):
            _write_track(music / f"track{seed:03d}.wav", seed)
        _write_long_track(music / LONG_NAME, options.long_minutes)
        server, url = serve(music, data, env={"AURALIS_SUBSONIC_PASSWORD": PASSWORD})
        try:
            with httpx.Client(base_url=url, timeout=600) as client:
                tracks = _fingerprinted(client, count + 1)
                long_id = next(int(t["id"]) for t in tracks if str(t["path"]).endswith(LONG_NAME))
                fresh = iter(int(t["id"]) for t in tracks if int(t["id"]) != long_id)
                _first_frame_s(client, next(fresh))  # warm-up: first imports, first renders
                _first_byte_s(client, next(fresh), "mp3")
                chunk, streams = [], {kind: [] for kind in FORMATS}
                for _ in range(rounds):  # interleaved, so load from elsewhere hits all alike
                    chunk.append(_first_frame_s(client, next(fresh)))
                    for kind in FORMATS:
                        streams[kind].append(_first_byte_s(client, next(fresh), kind))
                long_frames, long_ranges = _long_track_rounds(client, long_id, rounds)
        finally:
            stop(server)
    print(f"{TRACK_S:.0f} s tracks, {rounds} cold rounds each")
    chunk_median, _ = _row("chunk stream: first frame", chunk)
    ok = True
    for kind, times_s in streams.items():
        median, _ = _row(f"stream {kind}: first byte", times_s)
        ok &= median <= chunk_median + MARGIN_S
    verdict = "ok" if ok else "MISSED"
    print(f"target: first byte ≤ first frame + {MARGIN_S * 1000:.0f} ms (medians): {verdict}")
    print(f"{options.long_minutes} min track, {rounds} cold rounds each")
    frame_median, _ = _row("chunk stream: first frame", long_frames)
    range_median, _ = _row("mid-track range: first byte", long_ranges)
    ratio = range_median / frame_median
    verdict = "ok" if ratio <= RANGE_RATIO else "MISSED"
    print(f"target: mid range ≤ {RANGE_RATIO:g}× first frame (medians): {ratio:.2f}× {verdict}")


if __name__ == "__main__":
    main()
