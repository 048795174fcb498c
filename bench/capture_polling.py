"""Polling intake: updates queued in the Telegram emulator, the service (`--role all`, in
this process) polling them into the durable inbox; rate from the first poll to the last
update stored, and the number of getUpdates calls it took.

    python -m bench.capture_polling [--updates 2000] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.capture import reset_postgres, updates
from bench.common import PG_URL
from storage.models import InboundUpdate
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service


async def run(store: str, count: int, workdir: Path) -> str:
    from config.business import parse_config

    if store == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / f'polling-{count}.db'}"
    else:
        await reset_postgres(PG_URL)
        url = PG_URL
    config = parse_config(
        {"company": {"timezone": "UTC", "working_hours": {"mon-sun": "00:00-00:00"}}}
    )
    async with TelegramEmulator(token=TOKEN) as emulator:
        settings = make_settings(url, emulator.base_url, log_level="WARNING")
        async with running_service(settings, config) as service:
            await asyncio.sleep(1.0)  # the first long poll is waiting
            calls_before = sum(1 for c in emulator.calls if c.method == "getUpdates")
            started = time.monotonic()
            for body in updates(count, max(count // 4, 1)):
                emulator.add_update(body)
            while True:
                async with service.ctx.db.session_factory() as session:
                    stored = await session.scalar(
                        select(func.count(InboundUpdate.id)).where(
                            InboundUpdate.channel == "telegram"
                        )
                    )
                if stored >= count:
                    break
                await asyncio.sleep(0.02)
            elapsed = time.monotonic() - started
            polls = sum(1 for c in emulator.calls if c.method == "getUpdates") - calls_before
    return f"{count / elapsed:,.0f} /s stored ({count} in {elapsed:.2f}s, {polls} getUpdates)"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        for store in args.stores.split(","):
            print(f"{store:10} polling {await run(store, args.updates, Path(folder))}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
