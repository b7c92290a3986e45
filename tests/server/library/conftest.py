"""Fixtures shared by the library tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auralis_server.library.models import close_database, open_database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """A fresh SQLite library in the test's folder, open for the test."""
    path = tmp_path / "library.db"
    open_database(None, path)
    yield path
    close_database()
