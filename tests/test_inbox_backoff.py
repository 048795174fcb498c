"""A button press whose callback can no longer be answered: acted upon once, not re-run
in a hot loop; a payload that keeps failing is retried with backoff, then kept failed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram.exceptions import TelegramBadRequest
from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from storage.db import create_engine
from storage.models import InboundUpdate
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service
from usecases.context import AppContext
from usecases.inbound_retry import MAX_ATTEMPTS, backoff
from usecases.inbox import store_inbound
from workers.inbox import InboxWorker

HEAD, MANAGER, CUSTOMER = 900, 101, 5001
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Head"}],
        "managers": [{"telegram_id": MANAGER, "name": "Julia", "working_hours": ALWAYS}],
    },
}
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def test_too_old_callback_is_acted_upon_and_not_rerun(
    sqlite_url: str, emulator: TelegramEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings(sqlite_url, emulator.base_url)
    async with running_service(settings, parse_config(CONFIG)) as service:
        emulator.add_update(emulator.make_text_update(CUSTOMER, "Сколько стоит окно?"))

        async def card_sent() -> bool:
            return any(
                "Сколько стоит" in str(c.params.get("text", ""))
                for c in emulator.sent_messages(MANAGER)
            )

        await emulator.wait_for(card_sent, timeout=10)
        card = [
            c for c in emulator.sent_messages(MANAGER) if "Сколько" in str(c.params.get("text"))
        ][-1]
        markup = card.params.get("reply_markup") or {}
        accept = next(
            b["callback_data"]
            for row in markup["inline_keyboard"]
            for b in row
            if b.get("callback_data", "").startswith("lead:acc:")
        )
        emulator.fail_next("answerCallbackQuery", status=400, description=TOO_OLD, times=1000)
        emulator.add_update(emulator.make_callback_update(MANAGER, accept))
        await asyncio.sleep(3)
        answers = emulator.calls_to("answerCallbackQuery")
        lead_id = int(accept.split(":")[2])
        async with service.ctx.db.uow() as uow:
            lead = await uow.leads.get(lead_id)
        engine = create_engine(sqlite_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(InboundUpdate.status, InboundUpdate.attempts).where(
                        InboundUpdate.payload.contains("callback_query")
                    )
                )
            ).all()
        await engine.dispose()
    # Acted upon once, answered (unsuccessfully) once: no hot loop.
    assert len(answers) <= 3, f"answerCallbackQuery called {len(answers)} times"
    assert rows == [("done", 1)], rows
    assert lead is not None and lead.manager_id is not None and lead.accepted_at is not None
    lines = [r for r in caplog.records if "too old" in r.getMessage()]
    assert 1 <= len(lines) <= 3, len(lines)


class _Refused(Exception):
    pass


async def test_failing_payload_backs_off_then_is_kept_failed(
    ctx: AppContext, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    async def flaky(payload: str) -> None:
        calls.append(payload)
        raise RuntimeError("boom")

    await store_inbound(ctx, "x", "1", "{}")
    worker = InboxWorker(ctx, {"x": flaky}, "me")
    await worker.run_once()
    assert len(calls) == 1
    # Not due yet: a hundred rounds at once do not re-run it.
    for _ in range(100):
        await worker.run_once()
    assert len(calls) == 1
    for _ in range(20):
        clock.advance(timedelta(hours=1))
        await worker.run_once()
    assert len(calls) == MAX_ATTEMPTS
    async with ctx.db.uow() as uow:
        assert await uow.inbox.pending_count() == 0
    lines = [r for r in caplog.records if "inbound x #" in r.getMessage()]
    assert len(lines) == MAX_ATTEMPTS
    assert "kept as failed" in lines[-1].getMessage()


async def test_payload_that_cannot_succeed_is_not_retried(ctx: AppContext) -> None:
    calls: list[str] = []

    async def refuses(payload: str) -> None:
        calls.append(payload)
        raise TelegramBadRequest(method=None, message="Bad Request: chat not found")  # type: ignore[arg-type]

    await store_inbound(ctx, "x", "1", "{}")
    worker = InboxWorker(ctx, {"x": refuses}, "me")
    for _ in range(5):
        await worker.run_once()
    assert len(calls) == 1


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(100) == timedelta(hours=1)
