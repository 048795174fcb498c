"""The workload norm through the real bot, the Bot API emulator and a movable clock, on
SQLite and PostgreSQL: 60 leads of a 25-minute norm against two managers on 8-hour shifts
make /report and the next morning's digest say «Нагрузка 156 %, нужно ещё 1,1 менеджера»
(3,1 needed) and ring the head's alarm once; 10 leads ring nothing; a reply at 22:00,
outside the manager's shift, counts once as overtime; an alarm episode ends when the
queue comes well back down, and only a new episode rings again.

The first-response SLA here is 3 h: the alarm compares waiting leads × 25 min ÷ the
managers on shift with it, so 60 leads (750 min) ring it and 10 leads (125 min) do not."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.runtime import Service
from config.business import parse_config
from domain.clock import ManualClock
from domain.workload import AlarmStep
from storage.models import Lead, Manager, OutboxMessage
from storage.workload_models import WorkloadAlarm
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, wait_until
from usecases.report_digest import send_digests
from usecases.workload_alarm import check_workload

HEAD, IVAN, MARIA = 900, 101, 102
MONDAY_9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SHIFT = {"mon-fri": "09:00-17:00"}
NBSP = "\u00a0"
ALARM = "Очередь не успевает"
CONFIG: dict[str, Any] = {
    "company": {"timezone": "UTC", "working_hours": SHIFT},
    "sla": {"first_response": "3h", "first_response_reminder": "2h"},
    "distribution": {"mode": "rotation"},
    "reports": {"digest_time": "09:00"},
    "workload": {"minutes_per_lead": {"standard": 25}},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Ольга", "timezone": "UTC"}],
        "managers": [
            {"telegram_id": IVAN, "name": "Иван", "capacity": 100, "working_hours": SHIFT},
            {"telegram_id": MARIA, "name": "Мария", "capacity": 100, "working_hours": SHIFT},
        ],
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


@asynccontextmanager
async def bot(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock
) -> AsyncIterator[Service]:
    # No pause between messages to one chat (Telegram wants a second): 30 cards at once.
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    service = Service(settings, parse_config(CONFIG), clock=clock, timed_work_interval=0.2)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def texts_to(emulator: TelegramEmulator, chat: int, contains: str) -> list[str]:
    return [
        str(call.params.get("text", ""))
        for call in emulator.sent_messages(chat)
        if contains in str(call.params.get("text", ""))
    ]


async def said(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1) -> str:
    await emulator.wait_for(lambda: len(texts_to(emulator, chat, contains)) >= count, 30)
    return texts_to(emulator, chat, contains)[-1]


async def rows(service: Service, model: Any, *where: Any) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).where(*where).order_by(model.id)))


async def customers_write(
    service: Service, emulator: TelegramEmulator, first: int, count: int
) -> None:
    """`count` new customers write; back when every one has a lead with a manager."""
    before = len(await rows(service, Lead))
    for user in range(first, first + count):
        emulator.add_update(emulator.make_text_update(user, f"Нужны окна, заявка {user}"))

    async def handed_out() -> bool:
        leads = await rows(service, Lead)
        return len(leads) >= before + count and all(lead.manager_id for lead in leads)

    await wait_until(handed_out, timeout=60)


async def unanswered(service: Service, telegram_id: int) -> list[int]:
    [manager] = await rows(service, Manager, Manager.telegram_id == telegram_id)
    leads = await rows(
        service, Lead, Lead.manager_id == manager.id, Lead.first_response_at.is_(None)
    )
    return [lead.id for lead in leads]


async def reply(
    service: Service, emulator: TelegramEmulator, telegram_id: int, lead_id: int
) -> None:
    """The manager answers the lead's customer through the bot; back once delivered."""
    asked = len(texts_to(emulator, telegram_id, "Напишите ответ клиенту"))
    emulator.add_update(emulator.make_callback_update(telegram_id, f"lead:rep:{lead_id}:"))
    await said(emulator, telegram_id, "Напишите ответ клиенту", count=asked + 1)
    emulator.add_update(emulator.make_text_update(telegram_id, f"Ответ по заявке {lead_id}"))

    async def answered() -> bool:
        [lead] = await rows(service, Lead, Lead.id == lead_id)
        return lead.first_response_at is not None

    await wait_until(answered, timeout=30)


async def alarms_told(service: Service) -> list[OutboxMessage]:
    return await rows(service, OutboxMessage, OutboxMessage.dedupe_key.like("workload:%"))


async def test_sixty_leads_make_156_percent_and_one_alarm_ten_make_none(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_9)
    async with bot(database_url, emulator, clock) as service:
        # Ten leads: 10 × 25 min ÷ 2 on shift = 125 min, within the 3-hour SLA.
        await customers_write(service, emulator, 5000, 10)
        assert await check_workload(service.ctx) is AlarmStep.KEEP
        assert await alarms_told(service) == []

        # Fifty more: the timed work rings the head as soon as the wait passes 3 h (15
        # waiting: 187.5 min), whichever tick that is, and never again in the episode.
        await customers_write(service, emulator, 6000, 50)
        alarm = await said(emulator, HEAD, ALARM)
        found = re.search(r"Очередь не успевает: (\d+) лид\w* жд\w+ ответа", alarm)
        assert found is not None, alarm
        waiting = int(found.group(1))
        assert 15 <= waiting <= 60
        assert "в смене 2 менеджера" in alarm and "а ответить нужно за 3 ч" in alarm
        assert f"около {round(waiting * 25 / 2)} мин" in alarm
        # More ticks, later, on the same episode: nothing more.
        for _ in range(3):
            clock.advance(timedelta(minutes=10))
            assert await check_workload(service.ctx) is AlarmStep.KEEP
        assert len(await alarms_told(service)) == 1
        assert len(await rows(service, WorkloadAlarm)) == 1

        emulator.add_update(emulator.make_text_update(HEAD, "/report"))
        report = await said(emulator, HEAD, "Отчёт команды")
        emulator.add_update(emulator.make_text_update(IVAN, "/report"))
        own = await said(emulator, IVAN, "Ваша нагрузка")

        # The next morning: yesterday's digest says the same.
        clock.set(datetime(2026, 1, 6, 9, 0, 30, tzinfo=UTC))
        await send_digests(service.ctx)
        # The scheduler's own digest tick may have sent the 4th's digest while the test ran
        # (its clock stands on the 5th): wait for the 5th's.
        digest = await said(emulator, HEAD, "Сводка за вчера</b>, 05.01.2026")
        assert len(texts_to(emulator, HEAD, ALARM)) == 1

    team = (
        f"⚖️ Нагрузка 156{NBSP}%, нужно ещё 1,1 менеджера "
        "(работы на 25 ч, в сменах 16 ч: нужно 3,1 менеджера)"
    )
    for text in (report, digest):
        lines = text.splitlines()
        assert team in lines, text
        assert "<b>Нагрузка по менеджерам:</b>" in lines
        assert f"Иван: 156{NBSP}% (работы на 750 мин, смена 8 ч)" in lines
        assert f"Мария: 156{NBSP}% (работы на 750 мин, смена 8 ч)" in lines
    # A manager sees his own load, not the team's.
    assert f"⚖️ Ваша нагрузка: 156{NBSP}% (работы на 750 мин, смена 8 ч)" in own.splitlines()
    assert "Нагрузка по менеджерам" not in own


async def test_overtime_at_22_counts_once_and_a_new_episode_rings_again(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_9 + timedelta(hours=1))
    async with bot(database_url, emulator, clock) as service:
        await customers_write(service, emulator, 5000, 4)
        # In his shift: no overtime.
        ivan = await unanswered(service, IVAN)
        await reply(service, emulator, IVAN, ivan[0])
        # 22:00 on Monday, outside his 09:00–17:00: one reply, one action of overtime.
        clock.set(MONDAY_9 + timedelta(hours=13))
        await reply(service, emulator, IVAN, ivan[1])
        emulator.add_update(emulator.make_text_update(HEAD, "/report"))
        report = await said(emulator, HEAD, "Отчёт команды")
        emulator.add_update(emulator.make_text_update(IVAN, "/report"))
        own = await said(emulator, IVAN, "Ваша нагрузка")

        # Tuesday 10:00: 2 waiting + 13 new = 15 × 25 ÷ 2 = 187.5 min > 3 h: an alarm.
        clock.set(MONDAY_9 + timedelta(days=1, hours=1))
        await customers_write(service, emulator, 6000, 13)
        await said(emulator, HEAD, ALARM)
        assert "15 лидов ждут ответа" in texts_to(emulator, HEAD, ALARM)[0]
        # Down to 11 (137.5 min): under the SLA but not well under it: the same episode.
        for manager in (IVAN, MARIA, IVAN, MARIA):
            await reply(service, emulator, manager, (await unanswered(service, manager))[0])
        assert await check_workload(service.ctx) is AlarmStep.KEEP
        # Down to 10 (125 min, within ¾ of the SLA): the episode is over, nothing said.
        await reply(service, emulator, IVAN, (await unanswered(service, IVAN))[0])
        await wait_until(lambda: _ended(service), timeout=15)
        # Back up to 15: a new episode, a second alarm.
        await customers_write(service, emulator, 7000, 5)
        await said(emulator, HEAD, ALARM, count=2)
        for _ in range(3):
            assert await check_workload(service.ctx) is AlarmStep.KEEP
        assert len(texts_to(emulator, HEAD, ALARM)) == 2

    # The workload section's lines (the report's other section has a line per manager too).
    lines = report.splitlines()
    section = lines[lines.index("<b>Нагрузка по менеджерам:</b>") + 1 :]
    ivans = next(line for line in section if line.startswith("Иван: "))
    marias = next(line for line in section if line.startswith("Мария: "))
    assert ivans.endswith(", вне смены 1 действие"), ivans
    assert "вне смены" not in marias
    assert own.splitlines()[-1].endswith("вне смены 1 действие")
    [first, second] = await _episodes(database_url)
    assert first.ended_at is not None and second.ended_at is None


async def _ended(service: Service) -> bool:
    episodes = await rows(service, WorkloadAlarm)
    return len(episodes) == 1 and episodes[0].ended_at is not None


async def _episodes(database_url: str) -> list[WorkloadAlarm]:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return list(await session.scalars(select(WorkloadAlarm).order_by(WorkloadAlarm.id)))
    finally:
        await engine.dispose()
