"""Migrated template databases: Alembic runs once per test process (each pytest-xdist
worker is one) per database kind, and every test gets a copy of the result — a file copy
for SQLite, `CREATE DATABASE … TEMPLATE` for PostgreSQL — instead of migrating its own
(two seconds and more of each test's set-up on SQLite). The tests of the migrations
themselves (an old revision upgraded, `leadkeeper db upgrade`, the service's start on an
empty file) still migrate for real.

A template's name carries the Alembic head, the xdist worker and the process id: other
people's test runs share the PostgreSQL server, and a changed migration is a new head."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from storage.migrate import alembic_config, upgrade


@functools.cache
def template_tag() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{'_'.join(sorted(heads))}_{worker}_{os.getpid()}"


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


# ------------------------------------------------------------------------------- SQLite

_sqlite_template: Path | None = None


async def migrated_sqlite(path: Path) -> str:
    """A migrated, empty SQLite database at `path` (a copy of this process's template)."""
    _copy(await _sqlite_template_file(), path)
    return sqlite_url(path)


def _copy(template: Path, path: Path) -> None:
    # "x": a test that already put a database there meant to start from it.
    with template.open("rb") as source, path.open("xb") as target:
        shutil.copyfileobj(source, target)


async def _sqlite_template_file() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="leadkeeper-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / f"template_{template_tag()}.db"
        await upgrade(sqlite_url(template))
        _settle(template)
        _sqlite_template = template
    return _sqlite_template


def _settle(path: Path) -> None:
    """Leave the whole template in its main file, so that copying that one file copies
    the database: the write-ahead log checkpointed into it, and no -wal or -shm beside it
    (the last connection to close removes them). The file stays in WAL mode, as the
    service's connections would set it anyway."""
    connection = sqlite3.connect(path)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()
    leftovers = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    if busy or mode != "wal" or leftovers:
        raise RuntimeError(f"SQLite template not settled: {busy=} {mode=} {leftovers=}")


# --------------------------------------------------------------------------- PostgreSQL


class PostgresDatabases:
    """A fresh database per test, copied from this process's migrated template."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._template = f"lk_template_{template_tag()}"
        self._ready = False

    def _server(self) -> str:
        server: URL = self.url.set(drivername="postgresql", database="postgres")
        return server.render_as_string(hide_password=False)

    async def create(self) -> str:
        import asyncpg

        connection = await asyncpg.connect(self._server())
        try:
            if not self._ready:
                await connection.execute(f'DROP DATABASE IF EXISTS "{self._template}"')
                await connection.execute(f'CREATE DATABASE "{self._template}"')
                atexit.register(self._drop_template)
                # upgrade() disposes its engine: a template must have no connection open
                # when a database is created from it.
                await upgrade(self.url.set(database=self._template).render_as_string(False))
                self._ready = True
            name = f"lk_{uuid.uuid4().hex[:12]}"
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        finally:
            await connection.close()
        return self.url.set(database=name).render_as_string(hide_password=False)

    async def drop(self, url: str) -> None:
        await self._drop(make_url(url).database or "")

    async def _drop(self, name: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self._server())
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    def _drop_template(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run(self._drop(self._template))


_postgres: dict[str, PostgresDatabases] = {}


def postgres_databases(url: str) -> PostgresDatabases:
    """The one per process and server: the `database_url` fixture and the scale tests'
    fresh_database share its template."""
    if url not in _postgres:
        _postgres[url] = PostgresDatabases(url)
    return _postgres[url]
