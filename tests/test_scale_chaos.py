"""The Bot API answers a third of the sends with 429, 5xx or a timeout for a while, under
steady inbound traffic through one web and two worker processes: every outbound message
is delivered exactly once where an answer came back. The only repeats are sends whose
answer never arrived (the emulator delivered them, the client had given up): the sender
cannot know, so it retries. Those are in `emulator.delivered_after_timeout`, nowhere else.

The issue asks for a minute of chaos; the suite keeps it to LEADKEEPER_TEST_CHAOS_SECONDS
(default 15) to stay fast. Set it to 60 for the full minute."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.emulator.telegram import TelegramEmulator
from tests.support.env import PG_SKIP, PG_URL
from tests.support.scale import (
    TOKEN,
    Db,
    PostStats,
    free_port,
    post_updates,
    service_env,
    services,
    start_service,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.skipif(PG_URL is None, reason=PG_SKIP)

CHAOS_SECONDS = float(os.environ.get("LEADKEEPER_TEST_CHAOS_SECONDS", "15"))
RATE = 20  # inbound updates a second while the chaos lasts
CUSTOMERS = 60
FIRST_CUSTOMER = 940_000_000
HEAD = 941_000_001
MANAGERS = [941_000_100 + index for index in range(6)]
# The client gives up after 1.5 s; a "timeout" answer is held for 2.5 s (delivered first).
CLIENT_TIMEOUT = "1.5"
HELD_ANSWER = 2.5


def text_of(payload: object) -> str:
    body = payload if isinstance(payload, dict) else json.loads(str(payload))
    return str(body["text"])


async def test_chaos_every_answered_message_delivered_exactly_once(
    pg_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "leadkeeper.yaml", heads=[HEAD], managers=MANAGERS)
    port = free_port()
    db = Db(pg_url)
    async with TelegramEmulator(token=TOKEN) as emulator:
        env = service_env(
            pg_url,
            emulator.base_url,
            config,
            webhook_port=port,
            TELEGRAM_REQUEST_TIMEOUT=CLIENT_TIMEOUT,
        )
        web = await start_service("web", "web", env, tmp_path, port=port)
        workers = [await start_service(f"worker{i}", "worker", env, tmp_path) for i in (1, 2)]
        everything = [web, *workers]

        def logs() -> str:
            return "\n".join(proc.tail(2500) for proc in everything)

        async with services(*everything):
            await asyncio.gather(*(proc.wait_ready() for proc in everything))
            emulator.set_chaos(0.33, ("429", "5xx", "timeout"), seed=7, timeout_seconds=HELD_ANSWER)
            stats = PostStats()
            started = time.monotonic()
            index = 0
            while time.monotonic() - started < CHAOS_SECONDS:
                batch = [
                    emulator.make_text_update(
                        FIRST_CUSTOMER + (index + offset) % CUSTOMERS, f"сообщение {index + offset}"
                    )
                    for offset in range(RATE)
                ]
                index += RATE
                await asyncio.gather(
                    post_updates([web.url], batch, concurrency=4, stats=stats),
                    asyncio.sleep(1.0),
                )
            emulator.set_chaos(0)
            chaos_calls = len(emulator.calls)

            async def drained() -> bool:
                return await db.settled()

            # Rows that failed late in the window wait out their backoff (up to ~30 s).
            await wait_until(drained, 90, "the outbox drained after the chaos", context=logs)
            await asyncio.sleep(HELD_ANSWER + 0.5)  # a held answer may still land

        # The chaos did bite: rejected sends and answers that never came.
        assert emulator.rate_limited > 0
        assert any(call.status == 502 for call in emulator.calls[:chaos_calls])
        assert emulator.delivered_after_timeout, "no send timed out on the client"
        assert stats.posted == index
        assert await db.inbound_messages() == (index, index)

        outbox = await db.rows("SELECT chat_id, payload, status, attempts FROM outbox")
        assert {row[2] for row in outbox} == {"sent"}, Counter(row[2] for row in outbox)
        rows = Counter((int(chat), text_of(payload)) for chat, payload, *_ in outbox)
        answered = Counter((int(c.chat_id), c.params["text"]) for c in emulator.delivered_ok)
        lost = Counter((int(c.chat_id), c.params["text"]) for c in emulator.delivered_after_timeout)
        seen = Counter((int(c.chat_id), c.params["text"]) for c in emulator.sent_messages())
        # Exactly one delivery with an answer per outbox row...
        assert answered == rows
        # ...and every other delivery is one whose answer the client never got.
        assert seen == rows + lost
        retried = sum(1 for *_, attempts in outbox if attempts > 1)
        print(
            f"\n{CHAOS_SECONDS:.0f}s of chaos: {index} updates in, {len(outbox)} rows out, "
            f"{retried} retried, {emulator.rate_limited} x 429, "
            f"{sum(c.status == 502 for c in emulator.calls)} x 502, "
            f"{len(emulator.delivered_after_timeout)} delivered after a client timeout"
        )
        await db.close()
