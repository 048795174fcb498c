"""The outbox sender against the Bot API emulator: limits, retries, blocks, restarts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from channels.telegram.plugin import create_bot
from channels.telegram.sender import TelegramSender
from config.business import Config
from domain.clock import SystemClock
from storage.models import ChannelIdentity, OutboxMessage
from tests.emulator.telegram import TelegramEmulator
from tests.support.capture import inbound
from tests.support.service import TOKEN, make_settings, running_service
from usecases.capture import capture
from usecases.context import AppContext
from usecases.delivery import OutboxDelivery


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
async def live(ctx: AppContext) -> AppContext:
    ctx.clock = SystemClock()
    return ctx


async def queue(ctx: AppContext, chat: str, text: str = "hello") -> int:
    async with ctx.db.uow() as uow:
        row_id = await uow.outbox.add(
            channel="telegram",
            chat_id=chat,
            purpose="notice",
            payload={"text": text},
            now=ctx.clock.now(),
        )
        await uow.commit()
    assert row_id is not None
    return row_id


async def row(ctx: AppContext, row_id: int) -> OutboxMessage:
    async with ctx.db.session_factory() as session:
        found = await session.get(OutboxMessage, row_id)
        assert found is not None
        return found


async def drain(
    delivery: OutboxDelivery, ctx: AppContext, row_ids: list[int], seconds: float = 10.0
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await delivery.run_once()
        states = [(await row(ctx, row_id)).status for row_id in row_ids]
        if all(state in ("sent", "failed") for state in states):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox not drained: {states}")


def delivery_for(ctx: AppContext, emulator: TelegramEmulator) -> tuple[OutboxDelivery, object]:
    bot = create_bot(TOKEN, emulator.base_url)
    return OutboxDelivery(
        ctx, {"telegram": TelegramSender(bot)}, backoff=lambda attempts: 0.05
    ), bot


async def test_retry_after_is_honoured(live: AppContext, emulator: TelegramEmulator) -> None:
    delivery, bot = delivery_for(live, emulator)
    emulator.fail_next("sendMessage", status=429, retry_after=1)
    row_id = await queue(live, "501")
    await drain(delivery, live, [row_id])
    attempts = [call for call in emulator.calls if call.method == "sendMessage"]
    assert [call.status for call in attempts] == [429, 200]
    assert attempts[1].time - attempts[0].time >= 1.0
    sent = await row(live, row_id)
    assert sent.status == "sent" and sent.attempts == 2
    await bot.session.close()


async def test_server_errors_are_retried_then_sent_once(
    live: AppContext, emulator: TelegramEmulator
) -> None:
    delivery, bot = delivery_for(live, emulator)
    emulator.fail_next("sendMessage", status=502, times=2)
    row_id = await queue(live, "502")
    await drain(delivery, live, [row_id])
    assert [c.status for c in emulator.calls if c.method == "sendMessage"] == [502, 502, 200]
    assert len(emulator.sent_messages(502)) == 1
    for _ in range(3):
        await delivery.run_once()
    assert len(emulator.sent_messages(502)) == 1
    await bot.session.close()


async def test_blocked_user_is_marked_and_not_sent_to_again(
    live: AppContext, emulator: TelegramEmulator
) -> None:
    await capture(live, inbound(user=503))
    emulator.block_user(503)
    delivery, bot = delivery_for(live, emulator)
    [ack] = await _rows(live)
    await drain(delivery, live, [ack.id])
    assert (await row(live, ack.id)).status == "failed"
    async with live.db.session_factory() as session:
        identity = (await session.scalars(select(ChannelIdentity))).one()
        assert identity.blocked_at is not None
    calls_before = len(emulator.calls_to("sendMessage"))
    async with live.db.uow() as uow:
        later = await uow.outbox.add(
            channel="telegram",
            chat_id="503",
            purpose="reply",
            payload={"text": "ещё"},
            now=live.clock.now(),
            contact_id=identity.contact_id,
        )
        await uow.commit()
    await drain(delivery, live, [later])
    assert (await row(live, later)).last_error == "recipient blocked the bot"
    assert len(emulator.calls_to("sendMessage")) == calls_before
    await bot.session.close()


async def _rows(ctx: AppContext) -> list[OutboxMessage]:
    async with ctx.db.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_rows_pending_before_a_restart_are_sent_after_it(
    database_url: str, emulator: TelegramEmulator, config: Config, live: AppContext
) -> None:
    pending = [await queue(live, str(600 + n), f"pending {n}") for n in range(3)]
    # A row a crashed sender had claimed: its lease ran out.
    crashed = await queue(live, "699", "claimed before the crash")
    async with live.db.session_factory() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == crashed)
            .values(status="sending", lease_until=live.clock.now() - timedelta(seconds=1))
        )
        await session.commit()
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config):
        await emulator.wait_for_sent(4, timeout=10)
    texts = sorted(call.params["text"] for call in emulator.sent_messages())
    assert texts == ["claimed before the crash", "pending 0", "pending 1", "pending 2"]
    statuses = [(await row(live, row_id)).status for row_id in [*pending, crashed]]
    assert statuses == ["sent"] * 4


async def test_two_senders_never_send_a_row_twice(
    live: AppContext, emulator: TelegramEmulator
) -> None:
    rows = [await queue(live, str(700 + n), f"n{n}") for n in range(60)]
    first, bot1 = delivery_for(live, emulator)
    second, bot2 = delivery_for(live, emulator)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        await asyncio.gather(first.run_once(), second.run_once())
        if len(emulator.sent_messages()) >= len(rows):
            break
    await asyncio.gather(first.run_once(), second.run_once())
    chats = [int(call.params["chat_id"]) for call in emulator.sent_messages()]
    assert sorted(chats) == sorted(700 + n for n in range(60))
    await bot1.session.close()
    await bot2.session.close()
