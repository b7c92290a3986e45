"""Two real `auralis-server serve` processes on one PostgreSQL database and one music folder:
one scan between them, every track fingerprinted once, and a replica killed mid-job has its
job finished by the other once the lease runs out.

Computations are counted from what each server logs when a fingerprint is computed ("track N
fingerprinted by python in …"), the line the scheduler writes for every finished computation.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

from tests.conftest import write_audio
from tests.server.conftest import ServerProcess
from tests.server.postgres import PostgresCluster

TRACKS = 40
LEASE_S = 3.0
COMPUTED = re.compile(r"track (\d+) fingerprinted by python")
SCANNED = re.compile(r"scan finished: \d+ files, (\d+) added")


def _computed(server: ServerProcess) -> Counter[int]:
    return Counter(int(m.group(1)) for line in server.lines if (m := COMPUTED.search(line)))


def _statuses(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT fingerprint_status, count(*) FROM track GROUP BY fingerprint_status"
        ).fetchall()
    return {status: count for status, count in rows}


def _held_by(url: str, replica: str) -> list[int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT j.track_id FROM fingerprint_job j JOIN track t ON t.id = j.track_id "
            "WHERE j.claimed_by = %s AND t.fingerprint_status = 'processing'",
            (replica,),
        ).fetchall()
    return [row[0] for row in rows]


def _wait(condition: object, timeout_s: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_two_replicas_share_one_scan_and_each_fingerprint_and_survive_a_kill_9(
    serve: type[ServerProcess], postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = postgres_cluster.create_database()
    music = tmp_path / "music"
    for index in range(TRACKS):
        write_audio(music / f"{index:02d}.wav", 20.0, 8000, channels=1, seed=index)
    common = ("--music", str(music), "--database-url", url, "--no-scan")
    common += ("--fingerprint-servers", "none", "--fingerprint-workers", "1")
    common += ("--fingerprint-lease-s", str(LEASE_S), "--chunk-cache-disk-mb", "0")
    servers = {
        name: serve(*common, "--replica-id", name, "--cache-dir", str(tmp_path / name))
        for name in ("a", "b")
    }

    together = threading.Barrier(len(servers))
    answers: dict[str, httpx.Response] = {}

    def ask_for_a_scan(name: str) -> None:
        together.wait()
        answers[name] = httpx.post(f"{servers[name].url}/api/library/scan", timeout=60)

    askers = [threading.Thread(target=ask_for_a_scan, args=(name,)) for name in servers]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(60)
    scanned = [name for name, answer in answers.items() if answer.json()["started"]]
    assert scanned  # the one asked second refuses while the first scans; the
    for name in scanned:  # first may have finished by then (40 small files), then it rescans
        servers[name].wait_for_scan()
    added = [int(m.group(1)) for n in scanned for m in map(SCANNED.search, servers[n].lines) if m]
    assert sorted(added) == sorted([TRACKS] + [0] * (len(scanned) - 1))  # never side by side

    def a_is_working() -> bool:  # past its first jobs (the worker pool started) and on another
        return sum(_computed(servers["a"]).values()) >= 3 and bool(_held_by(url, "a"))

    _wait(a_is_working, 120, "replica a to be mid-job")
    os.killpg(servers["a"].process.pid, signal.SIGKILL)  # the server and its workers, mid-job
    before_kill = {name: sum(_computed(server).values()) for name, server in servers.items()}
    servers["a"].process.wait(10)
    orphaned = _held_by(url, "a")
    assert len(orphaned) == 1  # a held its one worker's job when it died
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT extract(epoch FROM lease_expires_at - (now() AT TIME ZONE 'UTC')) "
            "FROM fingerprint_job WHERE track_id = %s",
            (orphaned[0],),
        ).fetchone()
    assert row is not None
    expires_at = time.monotonic() + float(row[0])  # the lease a stopped renewing

    def orphan_done() -> bool:
        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT fingerprint_status FROM track WHERE id = %s", (orphaned[0],)
            ).fetchone()
        return row is not None and row[0] == "complete"

    _wait(orphan_done, expires_at + 5 - time.monotonic(), "b to finish a's job")
    after_expiry_s = time.monotonic() - expires_at
    _wait(lambda: _statuses(url) == {"complete": TRACKS}, 300, "every fingerprint")

    by_a, by_b = _computed(servers["a"]), _computed(servers["b"])
    print(f"\nscans started: {scanned}, rows added by each: {added}")
    print(f"computed before the kill: {before_kill}")
    print(f"computed in all by a: {sum(by_a.values())}, by b: {sum(by_b.values())}")
    print(f"the killed job finished {after_expiry_s:.1f} s after its lease expired")
    with psycopg.connect(url) as connection:
        paths = [row[0] for row in connection.execute("SELECT path FROM track").fetchall()]
        jobs = connection.execute("SELECT count(*) FROM fingerprint_job").fetchone()
    assert sorted(paths) == sorted(str(path) for path in music.glob("*.wav"))  # no duplicate rows
    assert jobs == (0,)  # every job ended with its fingerprint
    assert by_b[orphaned[0]] == 1 and orphaned[0] not in by_a
    assert by_a + by_b == Counter({track_id: 1 for track_id in range(1, TRACKS + 1)})
    assert before_kill["a"] > 0 and before_kill["b"] > 0  # both did a share
    assert any(
        "left processing by an earlier run or another server (a)" in line
        for line in servers["b"].lines
    )
