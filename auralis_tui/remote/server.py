"""The player's side of `auralis ctl`: one socket per user, answered with the session's controls.

A player claims the socket while it runs (``serving``): a lock file beside it says a live
player has it, so a second player keeps its hands off and says so in one line (as cmus
does), and takes the socket over once the first quits; a socket file whose player died (nothing accepts on it) is replaced. Requests
become the session's controls (``pause``, ``toggle_pause``, ``skip``, ``seek_to``), as the
keys' are: they go through the player's command queue, never around it. Track tags and the plan of what is
heard come from the server, kept for the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auralis_tui.api import ClientError
from auralis_tui.engine.session import Session, Status
from auralis_tui.remote.paths import prepare_folder, socket_path
from auralis_tui.remote.protocol import (
    MAX_LINE_BYTES,
    ProtocolError,
    Request,
    decode_request,
    encode_line,
)

log = logging.getLogger("auralis.remote")

LOOKUP_TIMEOUT_S = 3.0  # a status does not wait longer for tags or a plan from the server
PROBE_TIMEOUT_S = 1.0  # how long a live player may take to accept the stale-socket probe
LOOKUPS_AT_ONCE = 8  # requests in flight while the queue's tags are fetched
TAKEOVER_POLL_S = 0.5  # how often a second player looks whether the first has quit

PlanKey = tuple[int, str, float]  # track id, preset, intensity


class SocketBusy(Exception):
    """Another live player holds the control socket."""


@dataclass
class Claim:
    """The bound socket and the lock that says this process owns the path."""

    path: Path
    sock: socket.socket
    lock_fd: int
    inode: int  # of the socket file we bound: another one at the path is not ours to remove

    def release(self) -> None:
        """Stop listening and remove the socket file, if it is still ours (synchronous, so it
        also runs from a cancelled task or an interrupted loop)."""
        self.sock.close()
        with contextlib.suppress(OSError):
            if self.path.lstat().st_ino == self.inode:
                self.path.unlink()
        os.close(self.lock_fd)


def claim_socket(path: Path) -> Claim:
    """Bind ``path`` (mode 0600) for this process; ``SocketBusy`` if a live player has it."""
    prepare_folder(path)
    lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SocketBusy(str(path)) from None
        _remove_stale(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(path))
            os.chmod(path, 0o600)  # inside a 0700 folder: nobody else could reach it meanwhile
            sock.listen()
            sock.setblocking(False)
            inode = path.lstat().st_ino
        except BaseException:
            sock.close()
            raise
    except BaseException:
        os.close(lock_fd)
        raise
    return Claim(path, sock, lock_fd, inode)


def _remove_stale(path: Path) -> None:
    """Remove a socket file left by a player that died; a live one answering is ``SocketBusy``
    (its lock file was removed under it, by a temp cleaner say: still not ours to take)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise FileExistsError(f"{path} exists and is not a socket: no control socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(PROBE_TIMEOUT_S)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            path.unlink(missing_ok=True)  # nothing accepts on it: its player is gone
            return
        except TimeoutError:
            pass  # listening, its backlog full: alive
    raise SocketBusy(str(path))


class RemoteControl:
    """Answers one request line with one answer (a dict; the server writes it as a line)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._tracks: dict[int, dict[str, Any]] = {}
        self._plan: tuple[PlanKey, dict[str, Any]] | None = None  # the last one fetched

    async def answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = decode_request(line)
        except ProtocolError as exc:
            return {"ok": False, "error": str(exc)}
        if request.command == "status":
            return {"ok": True, "status": await self.status()}
        if request.command == "queue":
            return {"ok": True, "queue": await self.queue()}
        if not self.session.active:
            return {"ok": False, "error": "nothing is playing"}
        await self._control(request)
        return {"ok": True}

    async def _control(self, request: Request) -> None:
        """The key's call for each command (keys.py: space, n, N, ←/→)."""
        session = self.session
        match request.command:
            case "pause":
                session.pause()
            case "resume":
                session.resume()
            case "toggle":
                session.toggle_pause()
            case "next":
                session.skip(1)
            case "prev":
                session.skip(-1)
            case "seek" if request.relative:
                await session.seek_by(request.seconds or 0.0)
            case "seek":
                session.seek_to(request.seconds or 0.0)

    # -- what is playing --------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        """What the bar shows, as JSON; read again after a lookup so the position is fresh."""
        status = self.session.status()
        if await self._learn(status):
            status = self.session.status()
            await self._learn(status)
        return self._describe(status)

    async def queue(self) -> dict[str, Any]:
        track_ids = list(self.session.queue)
        limit = asyncio.Semaphore(LOOKUPS_AT_ONCE)

        async def learn(track_id: int) -> None:
            async with limit:
                await self._learn_track(track_id)

        await asyncio.gather(*(learn(track_id) for track_id in set(track_ids)))
        entries = [
            {"index": index, **self._track_json(track_id)}
            for index, track_id in enumerate(track_ids)
        ]
        return {"current": self.session.status().queue_index, "tracks": entries}

    async def _learn(self, status: Status) -> bool:
        """Fetch the tags and the plan ``status`` needs and does not have; whether it waited."""
        if status.track_id is None:
            return False
        key = (status.track_id, status.preset, status.intensity)
        waited = False
        if status.track_id not in self._tracks:
            await self._learn_track(status.track_id)
            waited = True
        if self._plan is None or self._plan[0] != key:
            plan = await self._lookup(self.session.client.plan(*key))
            if plan is not None:
                self._plan = (key, plan)
            waited = True
        return waited

    async def _learn_track(self, track_id: int) -> None:
        if track_id not in self._tracks:
            track = await self._lookup(self.session.client.track(track_id))
            if track is not None:
                self._tracks[track_id] = track

    async def _lookup(self, request: Awaitable[dict[str, Any]]) -> dict[str, Any] | None:
        """A server lookup, or None if it fails or is slow (the answer says what it knows)."""
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_S):
                return dict(await request)
        except (ClientError, TimeoutError):
            return None

    def _track_json(self, track_id: int) -> dict[str, Any]:
        track = self._tracks.get(track_id, {})
        return {
            "id": track_id,
            "artist": track.get("artist"),
            "title": track.get("title"),
            "album": track.get("album"),
            "path": track.get("path"),
            "duration_s": track.get("duration_seconds"),
        }

    def _describe(self, status: Status) -> dict[str, Any]:
        track = None if status.track_id is None else self._track_json(status.track_id)
        key = (
            None if status.track_id is None else (status.track_id, status.preset, status.intensity)
        )
        plan = self._plan[1] if self._plan is not None and self._plan[0] == key else None
        return {
            "state": status.state,
            "track": track,
            "queue_index": status.queue_index,
            "queue_length": len(self.session.queue),
            "position_s": round(status.position_s, 3),
            "duration_s": None if track is None else track["duration_s"],
            "preset": status.preset,  # heard, as the bar shows it
            "intensity": status.intensity,
            "chosen": {"preset": status.chosen.preset, "intensity": status.chosen.intensity},
            "plan": None if plan is None else _plan_json(plan),
            "volume": status.volume,
            "buffered_chunks": round(status.buffered_chunks, 2),
            "underruns": status.underruns,
            "error": status.error,
        }


def _plan_json(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan numbers the bar shows: input → output loudness and the LWRP region."""
    return {
        "input_lufs": plan["input_lufs"],
        "output_lufs_estimate": plan["output_lufs_estimate"],
        "region": plan["region"],
    }


class RemoteServer:
    """Serves ``RemoteControl`` on a claimed socket: any number of request lines per
    connection, each answered in order."""

    def __init__(self, session: Session) -> None:
        self.control = RemoteControl(session)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                writer.write(encode_line(await self._answer(line)))
                await writer.drain()
        except ValueError:  # a line past the reader's limit
            writer.write(encode_line({"ok": False, "error": "request line too long"}))
        except ConnectionError:
            pass  # `auralis ctl` went away before its answer: nothing to tell it
        finally:
            writer.close()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            return await self.control.answer(line)
        except Exception as exc:  # a bug here must not stop the music
            log.exception("remote request %r failed", line[:200])
            return {"ok": False, "error": f"the player could not answer: {exc}"}


def _reason(exc: OSError) -> str:
    """An OS error in words, without its errno: "Permission denied: '/run/user/1000'"."""
    if exc.strerror and exc.filename:
        return f"{exc.strerror}: {str(exc.filename)!r}"
    return exc.strerror or str(exc)


@contextlib.asynccontextmanager
async def serving(
    session: Session, report: Callable[[str], None], path: Path | None = None
) -> AsyncIterator[Path | None]:
    """Serve `auralis ctl` for ``session`` while the block runs (yields the socket's path);
    the socket file goes with it. Without a socket (another player has it, or the folder is
    unusable) ``report`` gets one line, the block runs anyway and None is yielded; behind
    another player, this one takes the socket over when that one quits (and says so)."""
    path = socket_path() if path is None else path
    claim: Claim | None = None
    waiting: asyncio.Task[None] | None = None
    try:
        claim = claim_socket(path)
    except SocketBusy:
        report(
            f"another player is running: `auralis ctl` controls that one until it quits ({path})"
        )
        waiting = asyncio.create_task(_take_over(session, report, path))
    except OSError as exc:
        report(f"no remote control: {_reason(exc)}")
    if claim is None:
        try:
            yield None
        finally:
            if waiting is not None:
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
        return
    async with _served(session, claim):
        yield path


@contextlib.asynccontextmanager
async def _served(session: Session, claim: Claim) -> AsyncIterator[None]:
    """Answer on ``claim``'s socket while the block runs; then release it."""
    try:
        server = await asyncio.start_unix_server(
            RemoteServer(session).handle, sock=claim.sock, limit=MAX_LINE_BYTES
        )
        try:
            yield
        finally:
            server.close()
    finally:
        claim.release()


async def _take_over(session: Session, report: Callable[[str], None], path: Path) -> None:
    """Wait for the player holding the socket to quit, then serve it (until cancelled).
    Polled: a thread blocked in flock could not be cancelled at exit."""
    while True:
        await asyncio.sleep(TAKEOVER_POLL_S)
        try:
            claim = claim_socket(path)
        except SocketBusy:
            continue
        except OSError as exc:
            report(f"no remote control: {_reason(exc)}")
            return
        report(f"the other player quit: `auralis ctl` controls this one now ({path})")
        async with _served(session, claim):
            await asyncio.Event().wait()
