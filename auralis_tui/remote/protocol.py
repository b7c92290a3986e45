"""What `auralis ctl` and the player say to each other: one JSON object per line, each way.

A request is ``{"command": "seek", "seconds": 40.0, "relative": false}`` (``seconds`` and
``relative`` only for ``seek``); the answer is ``{"ok": true, ...}`` with ``status`` or
``queue`` when asked for, or ``{"ok": false, "error": "one line"}``. The words of
`auralis ctl` parse into the same ``Request`` the socket carries, so both are checked once.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

CONTROLS = ("pause", "resume", "toggle", "next", "prev")
QUERIES = ("status", "queue")
COMMANDS = (*CONTROLS, "seek", *QUERIES)
USAGE = "usage: auralis ctl [--json] pause|resume|toggle|next|prev|seek [+|-]SECONDS|status|queue"
HELP = f"""{USAGE}

Control the running player (the TUI or `auralis play`) through its socket in $XDG_RUNTIME_DIR.

  pause, resume, toggle   pause or resume the sound (as the space bar does)
  next, prev              the next or previous queue entry (`n` / `N`)
  seek +5, seek -5        seek relative to the position, in seconds (or +M:SS)
  seek 40, seek 1:30      seek to that point of the track
  status                  track, position, state, preset, plan loudness, one field a line
  queue                   the queue, the playing entry marked ▶

  --json                  print the player's answer as it came: one line of JSON
"""
MAX_LINE_BYTES = 64 * 1024  # a request or an answer longer than this is refused

_SEEK = re.compile(r"([+-]?)(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)")


class UsageError(ValueError):
    """The words given to `auralis ctl` do not make a request (one line for the user)."""


class ProtocolError(ValueError):
    """A line on the socket is not a request this player understands."""


@dataclass(frozen=True)
class Request:
    command: str
    seconds: float | None = None  # seek: the target, or the step when ``relative``
    relative: bool = False

    def encode(self) -> bytes:
        body: dict[str, Any] = {"command": self.command}
        if self.command == "seek":
            body.update(seconds=self.seconds, relative=self.relative)
        return encode_line(body)


def parse_seek(text: str) -> tuple[float, bool]:
    """(seconds, relative) from ``40``, ``1:30``, ``+5``, ``-0:30``, as cmus-remote reads them."""
    match = _SEEK.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"seek takes [+|-]SECONDS or [+|-]M:SS, not {text!r}")
    sign, minutes, seconds = match.groups()
    if minutes is not None and float(seconds) >= 60:
        raise UsageError(f"seek {text}: seconds past a minute mark must be under 60")
    total_s = int(minutes or 0) * 60 + float(seconds)
    return (-total_s if sign == "-" else total_s), bool(sign)


def parse_words(words: list[str]) -> tuple[Request, bool]:
    """The request `auralis ctl WORDS` asks for, and whether ``--json`` was given."""
    as_json = "--json" in words
    rest = [word for word in words if word != "--json"]
    if not rest:
        raise UsageError("a command is needed")
    command, arguments = rest[0], rest[1:]
    if command not in COMMANDS:
        raise UsageError(f"unknown command {command!r}")
    if command == "seek":
        if len(arguments) != 1:
            raise UsageError("seek takes one position: [+|-]SECONDS or [+|-]M:SS")
        seconds, relative = parse_seek(arguments[0])
        return Request("seek", seconds, relative), as_json
    if arguments:
        raise UsageError(f"{command} takes no argument (got {' '.join(arguments)!r})")
    return Request(command), as_json


def decode_request(line: bytes) -> Request:
    """The request on one line from the socket (the player's side of ``Request.encode``)."""
    try:
        body = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"not a JSON line: {exc}") from None
    if not isinstance(body, dict):
        raise ProtocolError("a request is a JSON object")
    command = body.get("command")
    if command not in COMMANDS:
        raise ProtocolError(f"unknown command {command!r}; one of {', '.join(COMMANDS)}")
    if command != "seek":
        return Request(command)
    seconds, relative = body.get("seconds"), body.get("relative", False)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ProtocolError("seek needs a number of seconds")
    if not math.isfinite(seconds) or not isinstance(relative, bool):
        raise ProtocolError("seek needs finite seconds and a true/false relative")
    if not relative and seconds < 0:
        raise ProtocolError("an absolute seek cannot be before the start")
    return Request("seek", float(seconds), relative)


def encode_line(body: dict[str, Any]) -> bytes:
    """One JSON object on one line (``json.dumps`` never writes a raw newline)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode_answer(line: bytes) -> dict[str, Any]:
    """The player's answer; a line that is not one is a ``ProtocolError``."""
    try:
        body = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"the player answered something else than JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
        raise ProtocolError("the player's answer has no ok field")
    return body
