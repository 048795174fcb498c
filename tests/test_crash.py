"""The service as a subprocess, killed with SIGKILL in the middle of a burst of 500
updates and restarted: every message is stored exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import create_engine
from storage.models import Lead, Message
from tests.emulator.telegram import TelegramEmulator
from tests.service import TOKEN

ROOT = Path(__file__).resolve().parents[1]
BURST = 500
USERS = 50


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def start(
    database_url: str, emulator: TelegramEmulator, log: Path
) -> asyncio.subprocess.Process:
    config = ROOT / "leadkeeper.example.yaml"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEADKEEPER_CONFIG": str(config),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": emulator.base_url,
        "HTTP_PORT": "0",
        "LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT,
    )


async def stored(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            messages = await connection.scalar(
                select(func.count(Message.id)).where(Message.direction == "in")
            )
            distinct = await connection.scalar(
                select(func.count(func.distinct(Message.external_id))).where(
                    Message.direction == "in"
                )
            )
            leads = await connection.scalar(select(func.count(Lead.id)))
    finally:
        await engine.dispose()
    return int(messages or 0), int(distinct or 0), int(leads or 0)


async def test_sigkill_mid_burst_loses_nothing_and_duplicates_nothing(
    database_url: str, emulator: TelegramEmulator, tmp_path: Path
) -> None:
    for index in range(BURST):
        emulator.add_update(emulator.make_text_update(7_000 + index % USERS, f"сообщение {index}"))
    log = tmp_path / "service.log"
    process = await start(database_url, emulator, log)
    try:
        for _ in range(600):
            count = (await stored(database_url))[0]
            if count >= BURST // 4:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"no progress before the kill: {log.read_text()[-3000:]}")
        process.send_signal(signal.SIGKILL)
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
    killed_at = (await stored(database_url))[0]
    assert killed_at < BURST, "the kill came too late to test anything"

    process = await start(database_url, emulator, log)
    try:
        for _ in range(1200):
            if (await stored(database_url))[0] >= BURST and not emulator.pending_updates:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    messages, distinct, leads = await stored(database_url)
    assert (messages, distinct, leads) == (BURST, BURST, USERS), log.read_text()[-3000:]
    # Each customer was acknowledged once, though his updates straddled the crash.
    customers = range(7_000, 7_000 + USERS)
    acks = [c for c in emulator.sent_messages() if int(c.params["chat_id"]) in customers]
    assert sorted(int(call.params["chat_id"]) for call in acks) == list(customers)
