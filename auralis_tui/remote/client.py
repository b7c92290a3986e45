"""`auralis ctl WORDS`: one request to the running player, its answer printed.

Controls print nothing when they worked (like cmus-remote); ``status`` prints one
``field value`` line per field and ``queue`` one line per entry; ``--json`` prints the
player's answer line as it came. No player, or one that says no, is one line on stderr
and status 1; words that make no request are one line, the usage, and status 2.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

from auralis_tui.format import duration_text, field_text
from auralis_tui.remote.paths import socket_path
from auralis_tui.remote.protocol import (
    HELP,
    MAX_LINE_BYTES,
    USAGE,
    ProtocolError,
    Request,
    UsageError,
    decode_answer,
    parse_words,
)

ANSWER_TIMEOUT_S = 10.0  # a status may wait up to 3 s per server lookup; a player never longer
USAGE_STATUS = 2


class NoPlayer(Exception):
    """Nothing answers on the socket (one line for the user)."""


def exchange(path: Path, request: Request, timeout_s: float = ANSWER_TIMEOUT_S) -> bytes:
    """Send ``request`` to the player on ``path``; its answer line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
            raise NoPlayer(f"no player is running (nothing listens on {path})") from None
        except OSError as exc:
            raise NoPlayer(f"cannot reach the player on {path}: {exc.strerror or exc}") from None
        try:
            sock.sendall(request.encode())
            answer = b""
            while not answer.endswith(b"\n"):
                block = sock.recv(MAX_LINE_BYTES)
                if not block:
                    break
                answer += block
        except TimeoutError:
            raise NoPlayer(f"the player did not answer within {timeout_s:.0f} s") from None
        except OSError as exc:
            raise NoPlayer(f"the player hung up: {exc.strerror or exc}") from None
    if not answer:
        raise NoPlayer("the player closed the connection without answering")
    return answer


def _who(track: dict[str, Any]) -> str:
    """``Artist – Title`` (the file name when untagged), on one line."""
    title = track.get("title") or str(track.get("path") or "").rsplit("/", 1)[-1]
    if not title:
        title = f"track {track['id']}"
    artist = track.get("artist")
    return field_text(f"{artist} – {title}" if artist else title)


def status_lines(status: dict[str, Any]) -> list[str]:
    """``field value`` lines, as `cmus-remote -Q` prints them; seconds as plain numbers."""
    lines = [f"state {status['state']}"]
    track = status["track"]
    if track is None:
        lines.append("track none")
    else:
        lines.append(f"track {track['id']} {_who(track)}")
        if track.get("album"):
            lines.append(f"album {field_text(track['album'])}")
        if status["queue_index"] is not None:
            lines.append(f"queue {status['queue_index'] + 1}/{status['queue_length']}")
        lines.append(f"position {status['position_s']:.1f}")
        if status["duration_s"] is not None:
            lines.append(f"duration {status['duration_s']:.1f}")
    lines.append(f"preset {status['preset']} {status['intensity']:.1f}")
    chosen = status["chosen"]
    if (chosen["preset"], chosen["intensity"]) != (status["preset"], status["intensity"]):
        lines.append(f"next_chunk {chosen['preset']} {chosen['intensity']:.1f}")
    plan = status["plan"]
    if plan is not None:
        loudness = f"{plan['input_lufs']:.1f} → {plan['output_lufs_estimate']:.1f} LUFS"
        lines.append(f"plan {loudness} · {plan['region'].replace('_', '-')}")
    elif track is not None:
        lines.append("plan unknown")
    lines.append(f"volume {round(status['volume'] * 100)}%")
    lines.append(f"buffer {status['buffered_chunks']:.1f} chunks")
    lines.append(f"underruns {status['underruns']}")
    if status["error"]:
        lines.append(f"error {field_text(status['error'])}")
    return lines


def queue_lines(queue: dict[str, Any]) -> list[str]:
    """One line per entry: ``▶`` on the one playing, its number, id, who, length."""
    tracks = queue["tracks"]
    width = len(str(len(tracks)))
    return [
        f"{'▶' if track['index'] == queue['current'] else ' '} "
        f"{track['index'] + 1:>{width}}  {track['id']}  {_who(track)}  "
        f"{duration_text(track['duration_s'])}"
        for track in tracks
    ]


def main(words: list[str]) -> int:
    if "-h" in words or "--help" in words:
        print(HELP, end="")
        return 0
    try:
        request, as_json = parse_words(words)
    except UsageError as exc:
        print(f"auralis ctl: {exc}\n{USAGE}", file=sys.stderr)
        return USAGE_STATUS
    path = socket_path()
    try:
        line = exchange(path, request)
        answer = decode_answer(line)
    except (NoPlayer, ProtocolError) as exc:
        print(f"auralis: {exc}", file=sys.stderr)
        return 1
    if as_json:
        print(line.decode().rstrip("\n"))
        return 0 if answer["ok"] else 1
    if not answer["ok"]:
        print(f"auralis: {answer.get('error') or 'the player refused'}", file=sys.stderr)
        return 1
    if request.command == "status":
        print("\n".join(status_lines(answer["status"])))
    elif request.command == "queue" and answer["queue"]["tracks"]:
        print("\n".join(queue_lines(answer["queue"])))
    return 0
