"""Outbound: 2,000 acknowledgements to 2,000 chats through the Bot API emulator with
Telegram's limits on; sustained messages a second, the number of 429 answers, and the
SQL the sender spent per message (counted as in `bench/sql_count.py`).

    python -m bench.outbound [--messages 2000] [--store sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench import sql_count
from bench.capture import reset_postgres
from bench.common import PG_URL
from channels.telegram.plugin import create_bot
from channels.telegram.sender import TelegramSender
from config.business import parse_config
from config.settings import Settings
from domain.clock import SystemClock
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import Database
from tests.emulator.telegram import TelegramEmulator
from texts import Texts
from usecases.context import AppContext
from usecases.delivery import OutboxDelivery

TOKEN = "123456:BENCH"


async def run(messages: int, store: str, workdir: Path) -> None:
    if store == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'outbound.db'}"
    else:
        await reset_postgres(PG_URL)
        url = PG_URL
    await upgrade(url)
    engine = create_engine(url)
    ctx = AppContext(
        Database(create_session_factory(engine)), SystemClock(), parse_config({}), Texts()
    )
    async with ctx.db.uow() as uow:
        for chat in range(messages):
            await uow.outbox.add(
                channel="telegram",
                chat_id=str(1_000_000 + chat),
                purpose="ack",
                payload={"text": f"Спасибо! Ваше обращение №{chat} получено."},
                now=ctx.clock.now(),
            )
        await uow.commit()
    async with TelegramEmulator(token=TOKEN, enforce_limits=True) as emulator:
        bot = create_bot(TOKEN, emulator.base_url)
        delivery = OutboxDelivery(
            ctx,
            {"telegram": TelegramSender(bot)},
            rates={"telegram": Settings(_env_file=None).telegram_send_rate},
        )
        counter = sql_count.SqlCounter()
        counter.attach()
        started = time.perf_counter()
        while True:
            counts = None
            await delivery.run_once()
            # The bench's own look at the counts is not the sender's SQL.
            counter.detach()
            async with ctx.db.uow() as uow:
                counts = await uow.outbox.counts()
            counter.attach()
            if counts.get("sent", 0) + counts.get("failed", 0) >= messages:
                counter.detach()
                break
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started
        sent = len(emulator.sent_messages())
        await bot.session.close()
        print(
            f"{store}: {sent} sent in {seconds:.1f}s = {sent / seconds:.1f} msg/s; "
            f"429 answers: {emulator.rate_limited}; outbox: {counts}"
        )
        statements = sum(counter.statements.values())
        print(
            f"SQL: {statements / max(sent, 1):.2f} statements, "
            f"{counter.commits / max(sent, 1):.2f} commits per message; "
            f"{dict(counter.statements.most_common())}"
        )
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--store", default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await run(args.messages, args.store, Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
