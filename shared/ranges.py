"""The ``chunks=A-B`` range unit used by the stream endpoint (like HTTP byte ranges).

Accepted forms: ``chunks=A-B`` (inclusive), ``chunks=A-`` (A to the end), ``chunks=-N``
(the last N chunks). As with byte ranges, an end past the last chunk is clamped. A start
past the end, an empty suffix, B < A, several ranges or any other syntax is unsatisfiable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT = "chunks"
_SPEC = re.compile(r"^\s*chunks\s*=\s*(\d*)\s*-\s*(\d*)\s*$")
_CONTENT_RANGE = re.compile(r"^chunks (\d+)-(\d+)/(\d+)$")


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


def parse_chunk_range(spec: str, count: int) -> ChunkRange:
    """Resolve a ``chunks=`` spec against a track of ``count`` chunks."""
    match = _SPEC.match(spec)
    if match is None:
        raise RangeNotSatisfiable(f"malformed range {spec!r}; expected chunks=A-B, A- or -N")
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            raise RangeNotSatisfiable(f"malformed range {spec!r}: no bounds")
        suffix = int(last_text)
        if suffix == 0 or count == 0:
            raise RangeNotSatisfiable(f"range {spec!r} selects no chunk of {count}")
        return ChunkRange(max(0, count - suffix), count - 1, count)
    first = int(first_text)
    last = int(last_text) if last_text else count - 1
    if last < first:
        raise RangeNotSatisfiable(f"range {spec!r} ends before it starts")
    if first >= count:
        raise RangeNotSatisfiable(f"range {spec!r} starts past the last chunk ({count} chunks)")
    return ChunkRange(first, min(last, count - 1), count)


def unsatisfied_content_range(count: int) -> str:
    return f"{UNIT} */{count}"


def parse_content_range(value: str) -> ChunkRange:
    """Parse a ``Content-Range: chunks A-B/N`` response header."""
    match = _CONTENT_RANGE.match(value.strip())
    if match is None:
        raise ValueError(f"not a chunks Content-Range: {value!r}")
    first, last, count = (int(g) for g in match.groups())
    return ChunkRange(first, last, count)
