"""Many listeners at once: first-chunk latency and underruns while everybody plays in real time.

`auralis-server serve` in another process, on generated 3-minute songs whose fingerprints are
stored. For each N, N listeners start at random moments within 10 s; each asks for its own
intensity (so nothing comes from the chunk cache: every chunk is a render), streams the track
from its start through the real client (`AuralisClient.frames`), and "plays" 60 s in real
time with 3 chunks of prefetch: it reads a chunk only when it holds fewer than 3 ahead of
its play head (the rest waits in the server and the socket, as the TUI's reads do). A chunk
that arrives after the play head reached it is an underrun; the play head waits for it.
Printed per N: first-chunk latency (request → first frame) p50 and p95, and underruns
(total, and listeners that had any).
Targets (issue 16): 100 listeners → 0 underruns and first-chunk p95 ≤ 500 ms; 200 → 0 underruns.
The listeners run in this process (their decoding shares the machine with the server: on a
small box that is part of the load).
Usage: python bench/load.py [--listeners 25,50,100,200] [--play-s 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import serve, stop  # noqa: E402

if TYPE_CHECKING:
    from auralis_tui.api import AuralisClient

TRACK_S = 180.0
TRACKS = 6
START_WITHIN_S = 10.0
PREFETCH_CHUNKS = 3
# listeners → (most underruns, first-chunk p95 in s): issue 16's targets
TARGETS: dict[int, tuple[int, float | None]] = {100: (0, 0.5), 200: (0, None)}


@dataclass
class Listened:
    first_chunk_s: float  # request → first frame
    underruns: int
    stalled_s: float  # how long the play head waited, in all
    failed: str | None = None  # the stream broke off (the client gave up): why


def _prepare(tmp: Path) -> tuple[Path, list[int]]:
    """Songs with their fingerprints stored (a helper process: the server's modules stay out
    of the listeners' process)."""
    import soundfile

    from auralis_server.fingerprint import store as fingerprint_store
    from auralis_server.fingerprint.worker import fingerprint_file
    from auralis_server.library.demo import SAMPLE_RATE_HZ, SONGS, render_song
    from auralis_server.library.models import Track, close_database, open_database
    from auralis_server.library.scanner import Scanner

    music = tmp / "music"
    music.mkdir(parents=True)
    for index in range(TRACKS):
        song = render_song(SONGS[index % len(SONGS)], TRACK_S, seed=100 + index)
        soundfile.write(music / f"{index}.flac", song, SAMPLE_RATE_HZ)
    open_database(None, tmp / "data" / "auralis.db")
    try:
        Scanner([music], workers=1).run()
        tracks = list(Track.select().order_by(Track.path))
        for track in tracks:
            values, _ = fingerprint_file(track.path)
            fingerprint_store.save(track.id, values, "python")
        return music, [track.id for track in tracks]
    finally:
        close_database()


async def _listen(
    client: AuralisClient, track_id: int, intensity: float, delay_s: float, play_s: float
) -> Listened:
    """One listener: starts after ``delay_s`` and plays ``play_s`` seconds in real time."""
    from auralis_tui.api import ClientError, StreamRequest

    await asyncio.sleep(delay_s)
    request = StreamRequest(track_id, 0, None, "adaptive", intensity, loudness="track")
    underruns, stalled_s = 0, 0.0
    asked = time.perf_counter()
    first_at: float | None = None
    buffered_s = 0.0  # audio received, from the track's start
    try:
        async for frame in client.frames(request):  # the player's own retries on a dropped stream
            arrived = time.perf_counter()
            if first_at is None:
                first_at = arrived
            played_s = arrived - first_at - stalled_s
            if played_s > buffered_s:  # the play head ran out before this chunk came
                underruns += 1
                stalled_s += played_s - buffered_s
            header = frame.header
            chunk_s = header.core_frames / header.sample_rate_hz
            buffered_s += chunk_s
            # Read the next chunk once fewer than PREFETCH_CHUNKS are ahead of the head.
            ahead_s = buffered_s - (time.perf_counter() - first_at - stalled_s)
            wait_s = ahead_s - (PREFETCH_CHUNKS - 1) * chunk_s
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            if time.perf_counter() - first_at - stalled_s >= play_s:
                break  # played what it came for (the chunks still held would play out)
    except ClientError as exc:
        waited_s = (first_at or time.perf_counter()) - asked
        return Listened(waited_s, underruns, stalled_s, failed=str(exc))
    assert first_at is not None, "no frame came"
    return Listened(first_at - asked, underruns, stalled_s)


async def _round(
    url: str, track_ids: list[int], listeners: int, play_s: float, salt: int
) -> list[Listened]:
    from auralis_tui.api import AuralisClient

    rng = random.Random(listeners * 7919 + salt)
    async with contextlib.AsyncExitStack() as stack:
        # Each listener is a player of its own whose HTTP client exists before it picks a
        # track (the TUI makes its client at start-up): making one costs ~20 ms of CPU, which
        # is not the server's latency and, made mid-round, stalled the other listeners.
        clients = [await stack.enter_async_context(AuralisClient(url)) for _ in range(listeners)]
        jobs = []
        for index, client in enumerate(clients):
            # Its own plan: intensities 0.300..0.999 apart by ≥ 0.001 within a round, and rounds apart.
            intensity = round(0.3 + ((index * 37 + salt * 211) % 700) / 1000, 3)
            jobs.append(
                _listen(
                    client,
                    track_ids[index % len(track_ids)],
                    intensity,
                    rng.uniform(0, START_WITHIN_S),
                    play_s,
                )
            )
        return list(await asyncio.gather(*jobs))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", default="25,50,100,200")
    parser.add_argument("--play-s", type=float, default=60.0)
    args = parser.parse_args()
    counts = [int(count) for count in args.listeners.split(",")]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="auralis-bench-load-") as name:
        tmp = Path(name)
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as helper:
            music, track_ids = helper.submit(_prepare, tmp).result()
        server, url = serve(music, tmp / "data", "--no-scan")
        try:
            print(
                f"{len(track_ids)} tracks of {TRACK_S:.0f} s; each listener its own intensity; "
                f"start within {START_WITHIN_S:.0f} s, play {args.play_s:.0f} s, prefetch {PREFETCH_CHUNKS} chunks"
            )
            print(
                f"{'listeners':>9} {'first chunk p50':>16} {'p95':>8} {'max':>8} {'underruns':>10} {'listeners with any':>19}  target (100: 0 underruns, p95 ≤ 500 ms; 200: 0 underruns)"
            )
            for salt, count in enumerate(counts):
                results = asyncio.run(_round(url, track_ids, count, args.play_s, salt))
                firsts = [result.first_chunk_s for result in results]
                underruns = sum(result.underruns for result in results)
                starved = sum(result.underruns > 0 for result in results)
                failed = [result.failed for result in results if result.failed]
                p95 = _percentile(firsts, 0.95)
                wanted_underruns, wanted_p95_s = TARGETS.get(count, (None, None))
                met = (
                    not failed
                    and (wanted_underruns is None or underruns <= wanted_underruns)
                    and (wanted_p95_s is None or p95 <= wanted_p95_s)
                )
                target = "" if wanted_underruns is None else "ok" if met else "MISSED"
                print(
                    f"{count:>9} {statistics.median(firsts) * 1000:>13.0f} ms {p95 * 1000:>5.0f} ms "
                    f"{max(firsts) * 1000:>5.0f} ms {underruns:>10} {starved:>19}  {target}",
                    flush=True,
                )
                if failed:
                    print(f"{'':>9} {len(failed)} listeners gave up, e.g.: {failed[0]}", flush=True)
        finally:
            stop(server)
    print(f"(bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
