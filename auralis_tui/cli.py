"""`auralis` console script. The Textual client is not built yet; this says so plainly."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print(
        "auralis: the terminal client is not built yet; use the HTTP API of "
        "`auralis-server serve` (see README) meanwhile.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
