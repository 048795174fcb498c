"""Migrated template databases: Alembic runs once per test process (each pytest-xdist
worker is one) per database kind, and every test gets a copy of the result — a file copy
for SQLite, `CREATE DATABASE … TEMPLATE` for PostgreSQL — instead of migrating its own
(two seconds and more of each test's set-up on SQLite). The tests of the migrations
themselves (an old revision upgraded, `leadkeeper db upgrade`, the service's start on an
empty file) still migrate for real.

PostgreSQL's copies are made and dropped on a thread of their own, overlapping the tests
(see PostgresDatabases). A template's name carries the Alembic head, the xdist worker and
the process id: other people's test runs share the PostgreSQL server, and a changed
migration is a new head."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from storage.migrate import alembic_config, upgrade

T = TypeVar("T")


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


class _Background:
    """A thread with an event loop of its own for the server's slow statements: a test's
    loop lives only as long as the test, and these outlive it. DROP DATABASE costs the
    server most of a second (more when busy) and CREATE DATABASE a fraction of one: done
    here, both overlap the tests instead of adding to their set-up and teardown."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="lk-test-databases", daemon=True
        )
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


class PostgresDatabases:
    """A fresh database per test, copied from this process's migrated template. The next
    test's copy is made while the current test runs; finished tests' databases are
    dropped behind them, a batch at a time, and close() (the session's end) drops the
    rest. In batches because every DROP DATABASE makes the server checkpoint (PostgreSQL
    15: 0.6–2 s each, one after the other, on a busy machine), while drops that run at
    once share their checkpoints: eight together took 0.7–3.4 s, one by one 15–17 s."""

    DROP_BATCH = 8
    # Batches under way before drop() waits for the oldest: a run of quick tests must not
    # leave hundreds of databases behind it.
    MAX_PENDING_BATCHES = 2

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._template = f"lk_template_{template_tag()}"
        self._background: _Background | None = None
        self._next: concurrent.futures.Future[str] | None = None
        self._doomed: list[str] = []
        self._batches: list[concurrent.futures.Future[None]] = []
        self._template_ready: asyncio.Future[None] | None = None

    def _server(self) -> str:
        server: URL = self.url.set(drivername="postgresql", database="postgres")
        return server.render_as_string(hide_password=False)

    def _url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._background is None:
            self._background = _Background()
            atexit.register(self.close)
        return self._background.submit(coroutine)

    async def create(self) -> str:
        if self._next is None:
            self._next = self._submit(self._copy())
        ready, self._next = self._next, self._submit(self._copy())
        return self._url_of(await asyncio.wrap_future(ready))

    async def drop(self, url: str) -> None:
        self._doomed.append(make_url(url).database or "")
        if len(self._doomed) < self.DROP_BATCH:
            return
        batch, self._doomed = self._doomed, []
        self._batches = [future for future in self._batches if not future.done()]
        self._batches.append(self._submit(self._drop_all(batch)))
        if len(self._batches) > self.MAX_PENDING_BATCHES:
            await asyncio.wrap_future(self._batches.pop(0))

    def close(self) -> None:
        """Drop what is left: the finished tests' databases, the copy made for a next
        test that never came, and the template. Idempotent; a database that will not
        drop is left to the server's owner."""
        if self._background is None:
            return
        spare, self._next = self._next, None
        batch, self._doomed = self._doomed, []
        pending, self._batches = [*self._batches], []
        pending.append(self._submit(self._drop_rest(batch, spare)))
        for future in pending:
            with contextlib.suppress(Exception):
                future.result(timeout=120)
        self._background.stop()
        self._background = None

    # Run on the background loop --------------------------------------------------------

    async def _copy(self) -> str:
        await self._ensure_template()
        name = f"lk_{uuid.uuid4().hex[:12]}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return name

    async def _ensure_template(self) -> None:
        if self._template_ready is None:
            self._template_ready = asyncio.get_running_loop().create_future()
            try:
                await self._execute(f'DROP DATABASE IF EXISTS "{self._template}"')
                await self._execute(f'CREATE DATABASE "{self._template}"')
                # upgrade() disposes its engine: a template must have no connection open
                # when a database is created from it.
                await upgrade(self._url_of(self._template))
            except BaseException as error:
                self._template_ready.set_exception(error)
                raise
            self._template_ready.set_result(None)
        await asyncio.shield(self._template_ready)

    async def _drop_all(self, names: list[str]) -> None:
        drops = [self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)') for name in names]
        await asyncio.gather(*drops, return_exceptions=True)

    async def _drop_rest(
        self, names: list[str], spare: concurrent.futures.Future[str] | None
    ) -> None:
        if spare is not None:
            with contextlib.suppress(Exception):
                names = [*names, await asyncio.wrap_future(spare)]
        await self._drop_all(names)
        await self._drop_all([self._template])

    async def _execute(self, statement: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self._server())
        try:
            await connection.execute(statement)
        finally:
            await connection.close()


_postgres: dict[str, PostgresDatabases] = {}


def postgres_databases(url: str) -> PostgresDatabases:
    """The one per process and server: the `database_url` fixture and the scale tests'
    fresh_database share its template."""
    if url not in _postgres:
        _postgres[url] = PostgresDatabases(url)
    return _postgres[url]


def close_postgres_databases() -> None:
    """Drop every database this process still has (the end of a test session)."""
    for databases in _postgres.values():
        databases.close()
