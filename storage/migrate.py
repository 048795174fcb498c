"""Alembic, driven from code so that the installed package carries its migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do: it only has to be the same for every Leadkeeper process.
_PG_LOCK_ID = 0x4C4B5052


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the schema up to date; several processes starting at once take turns."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                await connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
                await connection.commit()
            try:
                await connection.run_sync(_upgrade, revision)
                await connection.commit()
            finally:
                if postgres:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID}
                    )
                    await connection.commit()
    finally:
        await engine.dispose()


def upgrade_sync(url: str, revision: str = "heads") -> None:
    asyncio.run(upgrade(url, revision))
