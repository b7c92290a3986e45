"""Time to first byte of a mastered Subsonic ``stream`` beside the chunk stream's first frame.

Tracks served by `auralis-server` in another process, fingerprinted before the first round.
Each request is for a track no earlier request touched, so every answer is rendered cold
(nothing from the chunk cache) from a stored fingerprint.
Target (issue 15): a mastered stream's first byte ≤ the chunk stream's first frame + 50 ms.
Usage: python bench/streams.py [--rounds N]
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


def _write_track(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(int(TRACK_S * RATE_HZ)) / RATE_HZ
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    soundfile.write(path, np.stack([tone, np.roll(tone, 99)], axis=1), RATE_HZ, subtype="PCM_16")


def _fingerprinted_ids(client: httpx.Client, count: int) -> list[int]:
    """The tracks' ids once the server has scanned and fingerprinted all of them."""
    while True:
        tracks = client.get("/api/tracks", params={"limit": count}).json()["tracks"]
        if len(tracks) == count and all(t["fingerprint_status"] == "complete" for t in tracks):
            return [int(track["id"]) for track in tracks]
        time.sleep(0.2)


def _first_frame_s(client: httpx.Client, track_id: int) -> float:
    started = time.perf_counter()
    reader = FrameReader()
    with client.stream("GET", f"/api/tracks/{track_id}/stream") as response:
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


def _row(name: str, times_s: list[float]) -> tuple[float, float]:
    median = statistics.median(times_s)
    p95 = sorted(times_s)[min(len(times_s) - 1, round(0.95 * (len(times_s) - 1)))]
    print(f"  {name:<28} median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    return median, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as temp:
        music, data = Path(temp) / "music", Path(temp) / "data"
        music.mkdir()
        count = 2 + rounds * (1 + len(FORMATS))
        for seed in range(count):
            _write_track(music / f"track{seed:03d}.wav", seed)
        server, url = serve(music, data, env={"AURALIS_SUBSONIC_PASSWORD": PASSWORD})
        try:
            with httpx.Client(base_url=url, timeout=120) as client:
                fresh = iter(_fingerprinted_ids(client, count))
                _first_frame_s(client, next(fresh))  # warm-up: first imports, first renders
                _first_byte_s(client, next(fresh), "mp3")
                chunk, streams = [], {kind: [] for kind in FORMATS}
                for _ in range(rounds):  # interleaved, so load from elsewhere hits all alike
                    chunk.append(_first_frame_s(client, next(fresh)))
                    for kind in FORMATS:
                        streams[kind].append(_first_byte_s(client, next(fresh), kind))
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


if __name__ == "__main__":
    main()
