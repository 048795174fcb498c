"""SIGTERM in the middle of work: a web process answers the requests it has in hand and
exits 0 (every update it acknowledged is stored); a worker finishes the batch in hand,
leaves nothing claimed, and exits 0. Their successors take the rest, each update once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.emulator.telegram import TelegramEmulator
from tests.support.env import PG_SKIP, PG_URL
from tests.support.scale import (
    TOKEN,
    WEBHOOK_SECRET,
    Db,
    free_port,
    post_updates,
    service_env,
    services,
    start_service,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.skipif(PG_URL is None, reason=PG_SKIP)

UPDATES = 300
CUSTOMERS = 60
FIRST_CUSTOMER = 950_000_000
HEAD = 951_000_001
MANAGERS = [951_000_100 + index for index in range(4)]


async def post_once(url: str, updates: list[dict[str, Any]], answers: dict[int, int]) -> None:
    """Each update POSTed once, no retry; its answer (0: no answer) kept by update id.
    A new connection each time and a steady pace, as Telegram's deliveries come: so that
    the SIGTERM lands in the middle of the stream, not after it."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    queue = list(updates)
    connector = aiohttp.TCPConnector(force_close=True)
    timeout = aiohttp.ClientTimeout(total=30)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while queue:
                update = queue.pop(0)
                try:
                    async with session.post(
                        f"{url}/telegram/webhook", json=update, headers=headers
                    ) as response:
                        await response.read()
                        answers[update["update_id"]] = response.status
                except (aiohttp.ClientError, TimeoutError):
                    answers[update["update_id"]] = 0
                await asyncio.sleep(0.02)

        await asyncio.gather(*(worker() for _ in range(6)))


async def test_sigterm_finishes_the_work_in_hand_and_exits_0(pg_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "leadkeeper.yaml", heads=[HEAD], managers=MANAGERS)
    port = free_port()
    db = Db(pg_url)
    async with TelegramEmulator(token=TOKEN) as emulator:
        env = service_env(pg_url, emulator.base_url, config, webhook_port=port)
        web = await start_service("web", "web", env, tmp_path, port=port)
        worker = await start_service("worker", "worker", env, tmp_path)
        async with services(web, worker) as running:
            await web.wait_ready()
            await worker.wait_ready()
            updates = [
                emulator.make_text_update(FIRST_CUSTOMER + index % CUSTOMERS, f"вопрос {index}")
                for index in range(UPDATES)
            ]
            answers: dict[int, int] = {}
            burst = asyncio.ensure_future(post_once(web.url, updates, answers))
            await wait_until(lambda: len(answers) >= UPDATES // 3, 30, "a third answered")

            # The web process: SIGTERM with requests in flight.
            web_exit = await web.terminate()
            await burst
            ok = {update_id for update_id, status in answers.items() if status == 200}
            stored = {int(key) for (key,) in await db.rows("SELECT key FROM inbound_updates")}
            assert ok <= stored, f"acknowledged but not stored: {sorted(ok - stored)[:10]}"
            assert len(ok) < UPDATES, "the web process stopped too late to test anything"

            # The worker: SIGTERM while it has a backlog and a batch in hand.
            async def busy() -> bool:
                inbox = await db.inbox_counts()
                return inbox.get("done", 0) > 0 and inbox.get("pending", 0) > 0

            await wait_until(busy, 30, "the worker busy with the backlog")
            worker_exit = await worker.terminate()
            inbox = await db.inbox_counts()
            outbox = await db.outbox_counts()
            assert "processing" not in inbox, f"a claimed inbound batch was left: {inbox}"
            assert "sending" not in outbox, f"claimed outbox rows were left: {outbox}"
            assert inbox.get("pending", 0) > 0, "the worker stopped too late to test anything"

            # Successors take the rest; the updates never answered 200 are redelivered.
            successors = [
                await start_service("web-2", "web", env, tmp_path, port=port),
                await start_service("worker-2", "worker", env, tmp_path),
            ]
            running.extend(successors)
            for proc in successors:
                await proc.wait_ready()
            await post_updates([web.url], [u for u in updates if u["update_id"] not in ok])
            await wait_until(db.settled, 60, "the rest handled by the successors")
            await asyncio.sleep(0.5)

        assert web_exit == 0, web.tail()
        assert worker_exit == 0, worker.tail()
        for proc in (web, worker):
            assert "stopping: finishing the work in hand" in proc.output()
        assert await db.inbound_messages() == (UPDATES, UPDATES)
        assert await db.inbox_counts() == {"done": UPDATES}
        rows = await db.rows("SELECT chat_id, payload, status FROM outbox")
        assert {row[2] for row in rows} == {"sent"}
        expected = Counter(
            (int(chat), (p if isinstance(p, dict) else json.loads(p))["text"])
            for chat, p, _ in rows
        )
        delivered = Counter((int(c.chat_id), c.params["text"]) for c in emulator.sent_messages())
        assert delivered == expected  # a graceful stop sends nothing twice
        await db.close()
