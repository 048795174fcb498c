"""/report and the daily digest end to end: the real service talks to the Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.runtime import Role, Service
from config.business import Config, parse_config
from domain.clock import ManualClock
from storage.models import OutboxMessage
from tests.emulator.telegram import TelegramEmulator, UploadedFile
from tests.support.capture import inbound
from tests.support.service import TOKEN, make_settings, running_service
from usecases.capture import capture
from usecases.context import AppContext
from usecases.team import reconcile_team

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HEAD, MANAGER = 900, 101
H_UTC, H_EKB, H_NY = 901, 902, 903


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def team_config() -> Config:
    return parse_config(
        {
            "company": {"timezone": "UTC", "working_hours": {"mon-sun": "00:00-00:00"}},
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Olga"}],
                "managers": [
                    {
                        "telegram_id": MANAGER,
                        "name": "Ivan",
                        "working_hours": {"mon-sun": "00:00-00:00"},
                        "language": "en",
                    }
                ],
            },
        }
    )


async def test_report_command_answers_with_a_text_and_a_chart(
    database_url: str, emulator: TelegramEmulator
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, team_config()) as service:
        # The service hands leads out from its own loop; this history needs it at once.
        service.ctx.distribute_after_capture = True
        await capture(service.ctx, inbound(user=5, text="Нужна цена", source="ad"))
        emulator.reset_calls()
        emulator.add_update(emulator.make_text_update(HEAD, "/report week"))
        text, photo = await emulator.wait_for_sent(2, chat_id=HEAD, timeout=15)
        emulator.add_update(emulator.make_text_update(MANAGER, "/report", language_code="en"))
        await emulator.wait_for(
            lambda: any(c.method == "sendPhoto" for c in emulator.sent_messages(MANAGER)), 15
        )
        # The manager was also offered the new lead: keep to the report.
        own = [c for c in emulator.sent_messages(MANAGER) if "Accept within" not in str(c.params)]
    assert text.method == "sendMessage" and "Отчёт команды" in text.params["text"]
    assert "Новых лидов: 1" in text.params["text"] and "Ivan" in text.params["text"]
    assert photo.method == "sendPhoto" and "Воронка" in photo.params["caption"]
    upload = photo.params["photo"]
    assert isinstance(upload, UploadedFile) and upload.data.startswith(PNG_MAGIC)
    # A manager's report is his own: in his language, without the team's lines.
    assert "Your numbers" in own[0].params["text"] and "By manager" not in own[0].params["text"]
    assert own[1].method == "sendPhoto"


def digest_config() -> Config:
    return parse_config(
        {
            "company": {"timezone": "UTC", "working_hours": {"mon-sun": "00:00-00:00"}},
            "reports": {"digest_time": "09:00"},
            "team": {
                "heads": [
                    {"telegram_id": H_UTC, "name": "Utc", "timezone": "UTC"},
                    {"telegram_id": H_EKB, "name": "Ekb", "timezone": "Asia/Yekaterinburg"},
                    {"telegram_id": H_NY, "name": "Ny", "timezone": "America/New_York"},
                ]
            },
        }
    )


def digests(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [
        call.params["text"]
        for call in emulator.sent_messages(chat)
        if "Сводка за вчера" in call.params.get("text", "")
    ]


async def test_digest_goes_once_per_head_at_his_time_with_two_processes(
    database_url: str, emulator: TelegramEmulator, ctx: AppContext, clock: ManualClock
) -> None:
    config = digest_config()
    ctx.config = config
    # Sunday noon: a lead nobody answers (there are no managers): a breach on Sunday.
    clock.set(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))
    await reconcile_team(ctx)
    lead = await capture(ctx, inbound(user=7, text="Есть кто?"))
    clock.set(datetime(2026, 1, 5, 8, 59, tzinfo=UTC))

    settings = make_settings(
        database_url,
        emulator.base_url,
        telegram_mode="webhook",
        telegram_webhook_url="https://example.invalid/telegram/webhook",
        telegram_webhook_secret="s3cret",
    )
    async with AsyncExitStack() as stack:
        for _ in range(2):  # two worker processes on one database
            service = Service(settings, config, role=Role.WORKER, clock=clock, digest_interval=0.05)
            await service.start()
            stack.push_async_callback(service.stop)

        # 08:59 in UTC, 13:59 in Yekaterinburg, 03:59 in New York.
        await emulator.wait_for(lambda: len(digests(emulator, H_EKB)) == 1, timeout=10)
        await asyncio.sleep(0.5)
        assert (digests(emulator, H_UTC), digests(emulator, H_NY)) == ([], [])

        clock.set(datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC))
        await emulator.wait_for(lambda: len(digests(emulator, H_UTC)) == 1, timeout=10)
        clock.set(datetime(2026, 1, 5, 14, 1, tzinfo=UTC))  # 09:01 in New York
        await emulator.wait_for(lambda: len(digests(emulator, H_NY)) == 1, timeout=10)
        await asyncio.sleep(0.5)

    for head in (H_UTC, H_EKB, H_NY):
        [text] = digests(emulator, head)
        assert "04.01.2026" in text and "Нарушения SLA (1)" in text
        assert f"Лид #{lead.lead_id}" in text and "Новых лидов: 1" in text
    async with ctx.db.session_factory() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "digest"))
        )
    assert sorted(row.dedupe_key for row in rows) == sorted(
        f"digest:2026-01-05:{manager_id}" for manager_id in await head_ids(ctx)
    )


async def head_ids(ctx: AppContext) -> list[int]:
    async with ctx.db.uow() as uow:
        return [head.id for head in await uow.managers.heads()]


async def test_no_digest_when_turned_off(ctx: AppContext, clock: ManualClock) -> None:
    from usecases.report_digest import send_digests

    ctx.config = digest_config().model_copy(
        update={"reports": parse_config({"reports": {"digest_time": "off"}}).reports}
    )
    await reconcile_team(ctx)
    # 14:00 in UTC, 19:00 in Yekaterinburg, 09:00 in New York: every head's time has come.
    clock.set(datetime(2026, 1, 5, 14, 0, tzinfo=UTC))
    assert await send_digests(ctx) == 0
    ctx.config = digest_config()
    assert await send_digests(ctx) == 3
    assert await send_digests(ctx) == 0
    clock.advance(timedelta(days=1))
    assert await send_digests(ctx) == 3
