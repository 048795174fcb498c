"""Group commit at the door (storage/door.py): concurrent webhook requests share their
commits, yet each is answered 200 only once its own row is durable, a redelivery is
stored once and still answered 200, and a batch whose write fails answers 5xx to every
request in it while the next batch is stored as usual."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.runtime import Role, Service
from config.business import Config
from storage.db import create_engine, create_session_factory
from storage.uow import Database
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service
from tests.support.templates import migrated_sqlite

SECRET = "door-s3cret"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
COUNT = 200


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


@asynccontextmanager
async def web_service(url: str, emulator: TelegramEmulator, config: Config) -> AsyncIterator[Any]:
    settings = make_settings(
        url,
        emulator.base_url,
        telegram_mode="webhook",
        telegram_webhook_url="https://example.invalid/telegram/webhook",
        telegram_webhook_secret=SECRET,
    )
    # The web role only: nothing but the door touches the inbox.
    async with running_service(settings, config, role=Role.WEB) as service:
        yield service


@asynccontextmanager
async def reader(url: str) -> AsyncIterator[AsyncEngine]:
    """A connection of the test's own, outside the service: it sees only what is committed."""
    engine = create_async_engine(url, pool_size=4, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def stored(engine: AsyncEngine, key: str) -> int:
    async with engine.connect() as connection:
        statement = text(
            "SELECT count(*) FROM inbound_updates WHERE channel = 'telegram' AND key = :k"
        )
        return int(await connection.scalar(statement, {"k": key}) or 0)


async def post(http: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> int:
    async with http.post(url, json=update, headers=HEADERS) as response:
        return response.status


def door_of(service: Service) -> Any:
    door = service.ctx.db.door
    assert door is not None and door.running
    return door


async def test_concurrent_posts_are_stored_once_each_answered_after_its_commit(
    database_url: str, emulator: TelegramEmulator, config: Config
) -> None:
    updates = [emulator.make_text_update(40_000 + i % 50, f"окно №{i}") for i in range(COUNT)]
    async with (
        web_service(database_url, emulator, config) as service,
        reader(database_url) as engine,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=COUNT)) as http,
    ):
        url = f"http://127.0.0.1:{service.port}/telegram/webhook"
        door = door_of(service)

        async def deliver(update: dict[str, Any]) -> tuple[int, int]:
            status = await post(http, url, update)
            # Read the moment the 200 is in: the row must already be committed.
            return status, await stored(engine, str(update["update_id"]))

        answers = await asyncio.gather(*(deliver(update) for update in updates))
        assert answers == [(200, 1)] * COUNT
        # The commits were shared: fewer batches than requests.
        assert door.rows == COUNT and door.batches < COUNT

        # Redelivered, some twice at once (so within one batch): stored once, still 200.
        again = updates[:50] + updates[:50]
        answers = await asyncio.gather(*(deliver(update) for update in again))
        assert answers == [(200, 1)] * len(again)
        async with engine.connect() as connection:
            total = await connection.scalar(text("SELECT count(*) FROM inbound_updates"))
        assert total == COUNT


REFUSE = {
    "sqlite": [
        "CREATE TRIGGER door_refuse BEFORE INSERT ON inbound_updates "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION door_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
        "CREATE TRIGGER door_refuse BEFORE INSERT ON inbound_updates "
        "FOR EACH ROW EXECUTE FUNCTION door_refuse()",
    ],
}


async def test_a_batch_that_fails_answers_5xx_to_all_in_it_and_the_next_one_is_stored(
    database_url: str, emulator: TelegramEmulator, config: Config
) -> None:
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    updates = [emulator.make_text_update(50_000 + i, f"цена {i}") for i in range(40)]
    async with (
        web_service(database_url, emulator, config) as service,
        reader(database_url) as engine,
        aiohttp.ClientSession() as http,
    ):
        url = f"http://127.0.0.1:{service.port}/telegram/webhook"
        door = door_of(service)
        # The store refuses every write (as a full disk or a broken table would).
        async with engine.begin() as connection:
            for statement in REFUSE[dialect]:
                await connection.execute(text(statement))
        failed = await asyncio.gather(*(post(http, url, update) for update in updates))
        assert all(status >= 500 for status in failed), failed
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM inbound_updates")) == 0
        assert door.running

        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "DROP TRIGGER door_refuse"
                    + (" ON inbound_updates" if dialect == "postgresql" else "")
                )
            )
        # The platform redelivers: now every one is stored, once, and answered 200.
        answers = await asyncio.gather(*(post(http, url, update) for update in updates))
        assert answers == [200] * len(updates)
        for update in updates:
            assert await stored(engine, str(update["update_id"])) == 1


async def test_a_clean_stop_writes_what_the_door_holds(tmp_path: Path) -> None:
    url = await migrated_sqlite(tmp_path / "door.db")
    engine = create_engine(url)
    db = Database(create_session_factory(engine))
    # A long window: the rows are still waiting in the door when the stop comes.
    door = db.open_door(window=5.0, max_rows=10_000)
    assert door is not None
    now = datetime.now(UTC)
    waiting = [
        asyncio.ensure_future(db.store_inbound("telegram", str(i), "{}", now)) for i in range(30)
    ]
    for _ in range(3):  # each request hands its row to the door and waits
        await asyncio.sleep(0)
    assert door.running and not any(future.done() for future in waiting)
    await db.close_door()
    assert await asyncio.gather(*waiting) == [True] * 30
    async with reader(url) as check, check.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM inbound_updates")) == 30
    # Closed: back to one commit per payload, still deduplicated.
    assert await db.store_inbound("telegram", "0", "{}", now) is False
    assert await db.store_inbound("telegram", "30", "{}", now) is True
    await engine.dispose()
