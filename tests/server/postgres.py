"""A throwaway PostgreSQL server for the database tests: Debian's binaries (set-up installs
``postgresql``), a cluster in a temp dir, reached only through a Unix socket in that dir.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user
(the temp dir is handed to it; pytest's own tmp dirs are private to root). Durability is
off: a test database lives for one test, and ``CREATE DATABASE`` per test stays cheap.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROLE = "auralis"
_SERVER_OPTIONS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200"
)


def postgres_bin_dir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: on PATH, else Debian's newest version."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


class PostgresCluster:
    """One running server; each test gets its own database from `create_database`."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="auralis-pg-"))
        self._owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self._names = itertools.count()
        self._admin: psycopg.Connection | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _run(self, *command: str) -> None:
        prefix: Sequence[str] = ("runuser", "-u", "postgres", "--") if self._owner else ()
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, cwd=self.root, check=False
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()}\n{tail}")

    def start(self) -> PostgresCluster:
        if self._owner:
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)
        self.root.chmod(0o755)
        initdb, pg_ctl = str(self.bin_dir / "initdb"), str(self.bin_dir / "pg_ctl")
        self._run(initdb, "-D", str(self.data_dir), "-U", ROLE, "--auth=trust", "-E", "UTF8")
        log = str(self.root / "server.log")
        options = f"{_SERVER_OPTIONS} -k {self.root}"
        self._run(pg_ctl, "-D", str(self.data_dir), "-l", log, "-o", options, "-w", "start")
        self._admin = psycopg.connect(self.url("postgres"), autocommit=True)
        return self

    def url(self, database: str) -> str:
        return f"postgresql://{ROLE}@/{database}?host={self.root}"

    def _execute(self, sql: str) -> None:
        assert self._admin is not None, "start() first"
        self._admin.execute(sql)

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop it even if a straggling thread still holds a connection."""
        name = database_name(url)
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        with contextlib.suppress(RuntimeError):
            pg_ctl = str(self.bin_dir / "pg_ctl")
            self._run(pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
