"""How both command lines draw progress: on stderr, so stdout carries only the result a
script reads, and not at all when stderr is not a terminal (no stray newline in a pipe)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)


def progress_bar(label: str, *extra: ProgressColumn) -> Progress:
    """A transient bar: ``label``, the bar, done/total, ``extra`` columns, elapsed time."""
    console = Console(stderr=True)
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
