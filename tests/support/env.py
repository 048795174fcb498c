"""The test environment: optional PostgreSQL and Redis (set by environment variables), the
shared payload corpus, and fresh PostgreSQL databases copied from a migrated template."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.migrate import upgrade

PG_URL = os.environ.get("LEADKEEPER_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("LEADKEEPER_TEST_REDIS_URL")
# Real payloads, next to the repository (/work/shared/corpus): tested against, not copied in.
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
PG_SKIP = "PostgreSQL tests need LEADKEEPER_TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
REDIS_SKIP = "Redis tests need LEADKEEPER_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)"


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
