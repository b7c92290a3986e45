"""The ``chunks=A-B`` range unit used by the stream endpoint (like HTTP byte ranges).

Accepted forms: ``chunks=A-B`` (inclusive), ``chunks=A-`` (A to the end), ``chunks=-N``
(the last N chunks). As with byte ranges, an end past the last chunk is clamped. A start
past the end, an empty suffix, B < A, several ranges or any other syntax is unsatisfiable.
Numbers are ASCII digits only (``int()`` and ``\\d`` would also take ``٠``), of any length:
a number too long to be a chunk index is simply larger than every chunk count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT = "chunks"
# Bigger than any chunk count or 64-bit id; what a longer run of digits saturates to, so a
# 5000-digit number neither trips Python's 4300-digit int() limit nor costs quadratic time.
HUGE = 10**19
_SPEC = re.compile(
    r"\A[ \t]*chunks[ \t]*=[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*\Z", re.A | re.I
)
_CONTENT_RANGE = re.compile(r"\Achunks ([0-9]+)-([0-9]+)/([0-9]+)\Z")
_DECIMAL = re.compile(r"\A[0-9]+\Z")
_SHOWN_CHARS = 40


class RangeNotSatisfiable(ValueError):
    """The range is malformed or selects no chunk of this track."""


@dataclass(frozen=True)
class ChunkRange:
    """Inclusive chunk indices ``first..last`` of a track with ``count`` chunks."""

    first: int
    last: int
    count: int

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(range(self.first, self.last + 1))

    def __len__(self) -> int:
        return self.last - self.first + 1

    def content_range(self) -> str:
        return f"{UNIT} {self.first}-{self.last}/{self.count}"


def parse_decimal(text: str) -> int | None:
    """ASCII digits as an int, saturating at ``HUGE``; None for anything else (signs,
    spaces, a trailing newline, non-ASCII digits)."""
    if _DECIMAL.match(text) is None:
        return None
    significant = text.lstrip("0")
    return HUGE if len(significant) >= len(str(HUGE)) else int(significant or "0")


def is_chunk_range(header: str) -> bool:
    """Whether a ``Range`` header is in the ``chunks`` unit; RFC 9110 §14.2 has a server
    ignore a Range in a unit it does not understand (``bytes`` included, here)."""
    unit = header.partition("=")[0].strip(" \t")
    return unit.isascii() and unit.lower() == UNIT


def _shown(spec: str) -> str:
    """The spec as quoted in an error: a 60 KB header is not echoed back whole."""
    return repr(spec if len(spec) <= _SHOWN_CHARS else spec[:_SHOWN_CHARS] + "…")


def parse_chunk_range(spec: str, count: int) -> ChunkRange:
    """Resolve a ``chunks=`` spec against a track of ``count`` chunks."""
    match = _SPEC.match(spec)
    if match is None:
        raise RangeNotSatisfiable(
            f"malformed range {_shown(spec)}; expected chunks=A-B, A- or -N"
        )
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            raise RangeNotSatisfiable(f"malformed range {_shown(spec)}: no bounds")
        suffix = _number(last_text)
        if suffix == 0 or count == 0:
            raise RangeNotSatisfiable(f"range {_shown(spec)} selects no chunk of {count}")
        return ChunkRange(max(0, count - suffix), count - 1, count)
    first = _number(first_text)
    last = _number(last_text) if last_text else count - 1
    if first >= count:
        raise RangeNotSatisfiable(
            f"range {_shown(spec)} starts past the last chunk ({count} chunks)"
        )
    if last < first:
        raise RangeNotSatisfiable(f"range {_shown(spec)} ends before it starts")
    return ChunkRange(first, min(last, count - 1), count)


def _number(digits: str) -> int:
    value = parse_decimal(digits)
    assert value is not None  # the pattern matched ASCII digits
    return value


def unsatisfied_content_range(count: int) -> str:
    return f"{UNIT} */{count}"


def parse_content_range(value: str) -> ChunkRange:
    """Parse a ``Content-Range: chunks A-B/N`` response header."""
    match = _CONTENT_RANGE.match(value.strip())
    if match is None:
        raise ValueError(f"not a chunks Content-Range: {_shown(value)}")
    first, last, count = (_number(g) for g in match.groups())
    return ChunkRange(first, last, count)
