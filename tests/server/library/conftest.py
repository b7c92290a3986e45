"""Fixtures shared by the library tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auralis_server.library.models import close_database, open_database


@pytest.fixture
def db(tmp_path: Path, database_url: str | None) -> Iterator[Path]:
    """A fresh library, open for the test: SQLite in the test's folder, then PostgreSQL."""
    path = tmp_path / "library.db"
    open_database(database_url, path)
    yield path
    close_database()
