"""Shared fixtures: a real database (a SQLite file, and PostgreSQL when
LEADKEEPER_TEST_DATABASE_URL is set), a movable clock, and the app context."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from config.business import Config, parse_config
from domain.clock import ManualClock
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import Database
from texts import Texts
from usecases.context import AppContext

PG_URL = os.environ.get("LEADKEEPER_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("LEADKEEPER_TEST_REDIS_URL")
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PG_SKIP = "PostgreSQL tests need LEADKEEPER_TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"


class PostgresDatabases:
    """A fresh database per test, copied from a migrated template (fast)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._template = f"lk_template_{os.getpid()}"
        self._ready = False

    async def create(self) -> str:
        import asyncpg

        server = self.url.set(drivername="postgresql", database="postgres")
        dsn = server.render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            if not self._ready:
                await connection.execute(f'DROP DATABASE IF EXISTS "{self._template}"')
                await connection.execute(f'CREATE DATABASE "{self._template}"')
                await upgrade(self.url.set(database=self._template).render_as_string(False))
                self._ready = True
            name = f"lk_{uuid.uuid4().hex[:12]}"
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        finally:
            await connection.close()
        return self.url.set(database=name).render_as_string(hide_password=False)

    async def drop(self, url: str) -> None:
        import asyncpg

        name = make_url(url).database
        server = self.url.set(drivername="postgresql", database="postgres")
        connection = await asyncpg.connect(server.render_as_string(hide_password=False))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


_pg = PostgresDatabases(PG_URL) if PG_URL else None


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'leadkeeper.db'}"
        await upgrade(url)
        yield url
        return
    if _pg is None:
        pytest.skip(PG_SKIP)
    url = await _pg.create()
    try:
        yield url
    finally:
        await _pg.drop(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'leadkeeper.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config() -> Config:
    return parse_config(
        {
            "company": {
                "name": "Acme",
                "timezone": "UTC",
                "working_hours": {"mon-sun": "00:00-00:00"},
            },
            "sla": {"first_response": "30m"},
        }
    )


@pytest.fixture
async def ctx(database_url: str, clock: ManualClock, config: Config) -> AsyncIterator[AppContext]:
    engine = create_engine(database_url)
    context = AppContext(
        db=Database(create_session_factory(engine)), clock=clock, config=config, texts=Texts()
    )
    yield context
    await engine.dispose()


@pytest.fixture
def corpus() -> Iterator[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    yield CORPUS
