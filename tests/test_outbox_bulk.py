"""The outbox sender's SQL: one batch's outcomes recorded one statement per kind, each
row with its own outcome, and an idle sender that issues no statement until woken or
until a row falls due. Real sender, the Bot API emulator, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bench.sql_count import classify
from channels.telegram.plugin import create_bot
from channels.telegram.sender import TelegramSender
from domain.clock import ManualClock
from storage.models import OutboxMessage
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN
from usecases.context import AppContext
from usecases.delivery import OutboxDelivery
from workers.loop import WokenLoop


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


@contextmanager
def counted(ctx: AppContext) -> Iterator[Counter[str]]:
    """Statements by kind (`UPDATE outbox`, …) run on the context's engine meanwhile."""
    engine = ctx.db.session_factory.kw["bind"].sync_engine
    kinds: Counter[str] = Counter()

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        kinds[classify(statement)] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield kinds
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


async def queue(ctx: AppContext, chat: int, *, due_in: timedelta = timedelta(0)) -> int:
    async with ctx.db.uow() as uow:
        row_id = await uow.outbox.add(
            channel="telegram",
            chat_id=str(chat),
            purpose="notice",
            payload={"text": f"to {chat}"},
            now=ctx.clock.now(),
            due=ctx.clock.now() + due_in,
        )
        await uow.commit()
    assert row_id is not None
    return row_id


async def rows(ctx: AppContext, ids: list[int]) -> dict[int, OutboxMessage]:
    async with ctx.db.session_factory() as session:
        found = await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        return {row.id: row for row in found}


async def test_one_batch_mixing_sent_retried_and_failed_rows_records_each_rightly(
    ctx: AppContext, emulator: TelegramEmulator
) -> None:
    good, flaky, blocked, unstarted = [1100 + n for n in range(3)], 1200, 1300, 1400
    for chat in (flaky, 1201):
        emulator.fail_next("sendMessage", status=502, chat_id=chat)
    emulator.rate_limit_next(retry_after=7, chat_id=1202)
    emulator.block_user(blocked)
    emulator.never_started(unstarted)
    retried = [flaky, 1201, 1202]
    chats = [*good, *retried, blocked, unstarted]
    ids = {chat: await queue(ctx, chat) for chat in chats}
    bot = create_bot(TOKEN, emulator.base_url)
    delivery = OutboxDelivery(ctx, {"telegram": TelegramSender(bot)}, backoff=lambda _: 60.0)
    with counted(ctx) as statements:
        assert await delivery.run_once() == len(chats)
    await bot.session.close()

    found = await rows(ctx, list(ids.values()))
    for chat in good:
        [call] = emulator.sent_messages(chat)
        row = found[ids[chat]]
        assert (row.status, row.delivery_status) == ("sent", "sent")
        assert row.external_id == f"{chat}:{call.result['message_id']}"
        assert row.sent_at == ctx.clock.now() and row.lease_until is None
    for chat in retried:
        row = found[ids[chat]]
        assert (row.status, row.attempts, row.external_id) == ("pending", 1, None)
        assert row.last_error
    flood = found[ids[1202]].next_attempt_at - ctx.clock.now()
    assert flood == timedelta(seconds=7)  # the platform's retry_after, not the backoff
    assert found[ids[flaky]].next_attempt_at - ctx.clock.now() == timedelta(seconds=60)
    for chat in (blocked, unstarted):
        row = found[ids[chat]]
        assert (row.status, row.delivery_status, row.external_id) == ("failed", "failed", None)
    assert found[ids[blocked]].last_error != found[ids[unstarted]].last_error
    # The claim, the attempt marks of the batch (all due within the second) and one
    # statement per outcome: sent, retry, failed — not one per row.
    assert statements["UPDATE outbox"] == 5, statements


async def test_an_idle_sender_issues_no_statement_until_woken_or_a_row_falls_due(
    ctx: AppContext, clock: ManualClock, emulator: TelegramEmulator
) -> None:
    later = await queue(ctx, 1500, due_in=timedelta(minutes=10))
    bot = create_bot(TOKEN, emulator.base_url)
    # No idle poll within the test: only a wake or the due time may make it look.
    delivery = OutboxDelivery(ctx, {"telegram": TelegramSender(bot)}, idle_poll=3600)
    rounds = 0

    async def counted_round() -> int:
        nonlocal rounds
        rounds += 1
        return await delivery.round()

    loop = WokenLoop("outbox", counted_round, idle_wait=3600)
    ctx.db.outbox_queued = lambda due: (delivery.expect(due), loop.wake())
    stopping = asyncio.Event()

    async def tick() -> None:  # the scheduler's tick, every second in the service
        while not stopping.is_set():
            loop.wake()
            await asyncio.sleep(0.02)

    async def until(condition: Any, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, "condition not met in time"
            await asyncio.sleep(0.01)

    with counted(ctx) as statements:
        tasks = [asyncio.ensure_future(loop.run(stopping)), asyncio.ensure_future(tick())]
        try:
            await until(lambda: rounds >= 2)  # the first round looked: nothing due
            looked = sum(statements.values())
            assert looked > 0
            seen = rounds
            await until(lambda: rounds >= seen + 50)
            assert sum(statements.values()) == looked, statements

            # A row queued for later in this process: its commit tells the sender when it
            # falls due, so the sender claims once and reads no due time.
            reads = statements["SELECT outbox"]
            sooner = await queue(ctx, 1502, due_in=timedelta(minutes=5))
            seen = rounds
            await until(lambda: rounds >= seen + 50)
            assert statements["SELECT outbox"] == reads, statements

            clock.advance(timedelta(minutes=5))  # the sooner row falls due: a tick looks
            await emulator.wait_for_sent(1, chat_id=1502)
            assert not emulator.sent_messages(1500)
            clock.advance(timedelta(minutes=5))
            await emulator.wait_for_sent(1, chat_id=1500)

            now = await queue(ctx, 1501)  # its commit wakes the sender
            await emulator.wait_for_sent(1, chat_id=1501)
            deadline = time.monotonic() + 10
            ids = [later, sooner, now]
            while {row.status for row in (await rows(ctx, ids)).values()} != {"sent"}:
                assert time.monotonic() < deadline, "the sends were not recorded"
                await asyncio.sleep(0.02)
        finally:
            stopping.set()
            await asyncio.gather(*tasks)
            await bot.session.close()
