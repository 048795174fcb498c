"""PostgreSQL goes away in the middle of a burst of webhooks and comes back: the web
process answers 503 meanwhile (the test redelivers, as Telegram does), the worker backs
off, and once the database is back everything is captured and sent exactly once, with no
restart of the service. The test runs its own PostgreSQL server (own data folder and port),
so that stopping it disturbs nothing else."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.emulator.telegram import TelegramEmulator
from tests.support.scale import (
    TOKEN,
    Db,
    OwnPostgres,
    PostStats,
    free_port,
    post_updates,
    postgres_bindir,
    service_env,
    services,
    start_service,
    wait_until,
    write_config,
)

BINDIR = postgres_bindir()
pytestmark = pytest.mark.skipif(
    BINDIR is None,
    reason="needs PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
    "(apt-get install postgresql) to run a server of its own",
)

UPDATES = 500
CUSTOMERS = 100
FIRST_CUSTOMER = 930_000_000
HEAD = 931_000_001
MANAGERS = [931_000_100 + index for index in range(5)]
OUTAGE = 3.0


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    assert BINDIR is not None
    server = OwnPostgres(BINDIR)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


async def health(session: aiohttp.ClientSession, url: str) -> int:
    try:
        async with session.get(f"{url}/healthz") as response:
            return response.status
    except aiohttp.ClientError:
        return 0


async def test_postgres_restart_mid_burst_loses_nothing_and_recovers(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    await own_postgres.create_database()
    url = own_postgres.url
    config = write_config(tmp_path / "leadkeeper.yaml", heads=[HEAD], managers=MANAGERS)
    port = free_port()
    db = Db(url)
    async with TelegramEmulator(token=TOKEN) as emulator:
        env = service_env(url, emulator.base_url, config, webhook_port=port)
        web = await start_service("web", "web", env, tmp_path, port=port)
        await web.wait_ready()  # the first process migrates; then the worker starts
        worker = await start_service("worker", "worker", env, tmp_path)
        everything = [web, worker]

        def logs() -> str:
            return "\n".join(proc.tail(3000) for proc in everything)

        async with services(*everything), aiohttp.ClientSession() as session:
            await worker.wait_ready()
            updates = [
                emulator.make_text_update(FIRST_CUSTOMER + index % CUSTOMERS, f"вопрос {index}")
                for index in range(UPDATES)
            ]
            stats = PostStats()
            # The first half is taken before the outage; the second half is sent while
            # the database is down (each retried until 200, as Telegram redelivers), so
            # the outage falls in the middle of the stream whatever the machine's speed.
            first, second = updates[: UPDATES // 2], updates[UPDATES // 2 :]
            await post_updates([web.url], first, concurrency=8, stats=stats)

            # A crash-like stop (no checkpoint, connections cut), a pause, a start.
            await asyncio.to_thread(own_postgres.stop, "immediate")
            posted_before = stats.posted
            burst = asyncio.ensure_future(
                post_updates([web.url], second, concurrency=8, stats=stats)
            )
            await wait_until(
                lambda: stats.statuses.get(503, 0) >= 8, 30, "webhooks answered 503", context=logs
            )
            during = await health(session, web.url)
            await asyncio.sleep(OUTAGE)
            posted_during = stats.posted - posted_before
            await asyncio.to_thread(own_postgres.start)

            await asyncio.wait_for(burst, 120)

            async def healthy() -> bool:
                return await health(session, web.url) == 200

            await wait_until(healthy, 30, "/healthz back to 200", context=logs)

            async def settled() -> bool:
                return await db.settled() and (await db.inbound_messages())[0] >= UPDATES

            await wait_until(settled, 90, "the backlog drained after the outage", context=logs)
            await asyncio.sleep(1.0)
            after = await health(session, web.url)
            # Recovered by itself: the very same processes, still running.
            assert web.process.returncode is None and worker.process.returncode is None

        assert during == 503, "/healthz should say the database is unavailable"
        assert after == 200
        assert stats.statuses.get(503, 0) > 0, f"no webhook saw the outage: {stats.statuses}"
        assert posted_during == 0, "an update was acknowledged while the database was down"
        # An outage is 503 (redeliver), never 500, and never an error with a traceback.
        assert set(stats.statuses) <= {200, 503}, stats.statuses
        for proc in everything:
            assert " ERROR " not in proc.output(), proc.tail()
        assert stats.posted == UPDATES
        # Nothing lost, nothing doubled.
        assert await db.inbound_messages() == (UPDATES, UPDATES)
        assert await db.scalar("SELECT count(*) FROM leads") == CUSTOMERS
        assert await db.inbox_counts() == {"done": UPDATES}
        outbox = await db.rows("SELECT chat_id, payload, status FROM outbox")
        assert {row[2] for row in outbox} == {"sent"}
        expected = Counter(
            (int(chat), (p if isinstance(p, dict) else json.loads(p))["text"])
            for chat, p, _ in outbox
        )
        delivered = Counter(
            (int(call.chat_id), call.params["text"]) for call in emulator.sent_messages()
        )
        assert delivered == expected
        customers = range(FIRST_CUSTOMER, FIRST_CUSTOMER + CUSTOMERS)
        acks = [c for c in emulator.sent_messages() if int(c.chat_id) in customers]
        assert len(acks) == CUSTOMERS  # each customer acknowledged exactly once
        await db.close()
        print(f"\nwebhook answers {stats.statuses}; {len(outbox)} outbox rows")
