"""Nothing a manager sends fails in silence, through the real bot and the emulator: a
reply's fate reaches its author (and only a delivered reply is a first response), a
manager who cannot be reached is named to the head, a decline is a decline, and a
customer's complaint opens no sales lead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import Complaint, Lead, LeadEvent, LeadOffer, Manager, Message, OutboxMessage
from tests.emulator.telegram import TelegramEmulator
from tests.support.dashboard import AUTH, PASSWORD, session, sign_in
from tests.support.service import TOKEN, make_settings, running_service
from usecases.assignment import expire_offers
from usecases.report_load import load_report, period_of
from usecases.timers import check_timers

HEAD, ANNA, BORIS, IVAN = 900, 101, 102, 103
BLOCKER, WORDY, PLAIN = 5001, 5002, 5003
MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ALWAYS = {"mon-sun": "00:00-00:00"}


def config(*managers: tuple[int, str]) -> Any:
    return parse_config(
        {
            "company": {"timezone": "UTC", "working_hours": ALWAYS},
            "sla": {
                "first_response": "30m",
                "first_response_reminder": "20m",
                "accept_timeout": "5m",
            },
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Head"}],
                "managers": [
                    {"telegram_id": tg, "name": name, "level": "senior", "working_hours": ALWAYS}
                    for tg, name in managers
                ],
            },
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def texts_to(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in emulator.shown(chat)]


async def said(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1) -> str:
    def found() -> bool:
        return sum(contains in text for text in texts_to(emulator, chat)) >= count

    await emulator.wait_for(found, timeout=10)
    return [text for text in texts_to(emulator, chat) if contains in text][-1]


async def outbox_idle(service: Any, emulator: TelegramEmulator) -> None:
    """Every queued message has met its fate (sent or failed) and none is in flight."""

    async def idle() -> bool:
        async with service.ctx.db.session_factory() as session:
            busy = await session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status.in_(("pending", "sending"))
                )
            )
        return busy == 0

    await emulator.wait_for(idle, timeout=10)


async def one(service: Any, statement: Any) -> Any:
    async with service.ctx.db.session_factory() as session:
        return (await session.scalars(statement)).first()


async def all_of(service: Any, statement: Any) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(statement))


async def accepted_lead(emulator: TelegramEmulator, customer: int, text: str) -> int:
    emulator.add_update(emulator.make_text_update(customer, text, first_name="Анна"))
    await said(emulator, ANNA, text)
    card = [c for c in emulator.sent_messages(ANNA) if text in str(c.params.get("text", ""))][-1]
    markup = card.params.get("reply_markup") or {}
    data = [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
    lead_id = int(next(d for d in data if d.startswith("lead:acc:")).split(":")[2])
    emulator.add_update(emulator.make_callback_update(ANNA, f"lead:acc:{lead_id}:"))
    await said(emulator, ANNA, f"Лид #{lead_id} ваш")
    return lead_id


async def open_reply(emulator: TelegramEmulator, lead_id: int) -> None:
    emulator.add_update(emulator.make_callback_update(ANNA, f"lead:rep:{lead_id}:"))
    await said(emulator, ANNA, f"Напишите ответ клиенту по лиду #{lead_id}")


async def test_failed_replies_are_told_with_the_reason_and_are_no_first_response(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(
        database_url, emulator.base_url, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, config((ANNA, "Анна")), clock=clock) as service:
        blocked_lead = await accepted_lead(emulator, BLOCKER, "Сколько стоит окно?")
        emulator.block_user(BLOCKER)
        await open_reply(emulator, blocked_lead)
        emulator.add_update(emulator.make_text_update(ANNA, "Окно стоит 9 900 ₽"))
        told = await said(emulator, ANNA, f"Ответ по лиду #{blocked_lead} не доставлен")
        assert "клиент заблокировал бота" in told
        assert "/lead" in told  # and what he can do

        long_lead = await accepted_lead(emulator, WORDY, "Нужны двери")
        await open_reply(emulator, long_lead)
        emulator.fail_next(
            "sendMessage", status=400, description="Bad Request: message is too long"
        )
        emulator.add_update(emulator.make_text_update(ANNA, "Подробный ответ " * 300))
        told = await said(emulator, ANNA, f"Ответ по лиду #{long_lead} не доставлен")
        assert "сообщение слишком длинное" in told
        assert "Подробный" not in " ".join(texts_to(emulator, WORDY))

        # A reply that does arrive is confirmed as delivered.
        fine_lead = await accepted_lead(emulator, PLAIN, "Есть ли скидки?")
        await open_reply(emulator, fine_lead)
        emulator.add_update(emulator.make_text_update(ANNA, "Да, 10% до пятницы"))
        await said(emulator, PLAIN, "Да, 10% до пятницы")
        await said(emulator, ANNA, f"✓ Ответ по лиду #{fine_lead} доставлен клиенту")
        await outbox_idle(service, emulator)
        assert not any("отправляется клиенту" in text for text in texts_to(emulator, ANNA))
        # The long reply went in two parts; the first failed, so the second is not sent
        # alone (a fragment would mislead the customer).
        assert "Подробный" not in " ".join(texts_to(emulator, WORDY))

        for lead_id in (blocked_lead, long_lead):
            lead = await one(service, select(Lead).where(Lead.id == lead_id))
            assert lead.first_response_at is None
            [answer] = await all_of(
                service,
                select(Message).where(Message.lead_id == lead_id, Message.direction == "out"),
            )
            assert answer.delivery_status == "failed"
        delivered = await one(service, select(Lead).where(Lead.id == fine_lead))
        assert delivered.first_response_at == MONDAY_10

        # The API and the dashboard show each message's delivery state and why it failed.
        base = f"http://127.0.0.1:{service.port}"
        async with session() as http:
            async with http.get(f"{base}/api/leads/{blocked_lead}", headers=AUTH) as response:
                body = await response.json()
            [out] = [m for m in body["messages"] if m["direction"] == "out"]
            assert (out["delivery_status"], out["delivery_error"]) == ("failed", "blocked")
            await sign_in(http, base)
            async with http.get(f"{base}/dashboard/leads/{blocked_lead}") as response:
                page = await response.text()
            assert "✗ не доставлено: клиент заблокировал бота" in page
            async with http.get(f"{base}/dashboard/leads/{fine_lead}") as response:
                assert "✓ доставлено" in await response.text()

        clock.advance(timedelta(minutes=31))
        await check_timers(service.ctx)
        for lead_id in (blocked_lead, long_lead):
            await said(emulator, HEAD, f"Лид #{lead_id}: нет ответа клиенту")
            # The second ping to one chat is paced by the (stopped) clock: move it on.
            clock.advance(timedelta(seconds=5))
            service.ctx.wake("outbox")
        await outbox_idle(service, emulator)
        assert not any(f"Лид #{fine_lead}: нет ответа" in t for t in texts_to(emulator, HEAD))


async def test_a_manager_who_never_started_the_bot_is_named_to_the_head_once(
    database_url: str, emulator: TelegramEmulator
) -> None:
    emulator.never_started(IVAN)
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config((IVAN, "Иван Петров")), clock=clock) as service:
        emulator.add_update(emulator.make_text_update(BLOCKER, "Нужны окна"))
        emulator.add_update(emulator.make_text_update(WORDY, "Нужны двери"))
        ivan = await one(service, select(Manager).where(Manager.telegram_id == IVAN))

        async def both_offers_failed() -> bool:
            # Sends to one chat are paced by the (stopped) clock: move it on.
            clock.advance(timedelta(seconds=1))
            service.ctx.wake("outbox")
            rows = await all_of(
                service,
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == str(IVAN), OutboxMessage.purpose == "offer"
                ),
            )
            return len(rows) >= 2 and all(row.status == "failed" for row in rows)

        await emulator.wait_for(both_offers_failed, timeout=15)
        await said(emulator, HEAD, "Иван Петров ещё не нажал /start в боте — лиды ему не доходят")
        await outbox_idle(service, emulator)
        named = [text for text in texts_to(emulator, HEAD) if "не нажал /start" in text]
        assert len(named) == 1
        assert emulator.sent_messages(IVAN) == []
        # He cannot see the offer: it does not wait out its timer.
        leads = await all_of(service, select(Lead).where(Lead.offered_manager_id == ivan.id))
        assert all(lead.offer_expires_at <= clock.now() for lead in leads)


async def test_a_complaint_after_a_closed_lead_opens_no_lead(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config((ANNA, "Анна")), clock=clock) as service:
        lead_id = await accepted_lead(emulator, PLAIN, "Сколько стоит окно?")
        emulator.add_update(emulator.make_callback_update(ANNA, f"lead:won:{lead_id}:"))
        await said(emulator, ANNA, "Сумма сделки")
        emulator.add_update(emulator.make_callback_update(ANNA, f"lead:won:{lead_id}:-"))
        await said(emulator, ANNA, f"Лид #{lead_id} закрыт")
        await outbox_idle(service, emulator)
        to_manager = len(emulator.sent_messages(ANNA))

        emulator.add_update(emulator.make_text_update(PLAIN, "/complaint"))
        await said(emulator, PLAIN, "Опишите, пожалуйста, что случилось")
        before = len(emulator.sent_messages(PLAIN))
        emulator.add_update(emulator.make_text_update(PLAIN, "Менеджер мне нагрубил"))
        await said(emulator, HEAD, "Менеджер мне нагрубил")
        await said(emulator, PLAIN, "Ваша жалоба")
        await outbox_idle(service, emulator)

        assert len(emulator.sent_messages(PLAIN)) == before + 1
        leads = await all_of(service, select(Lead))
        assert [lead.id for lead in leads] == [lead_id]
        anna = await one(service, select(Manager).where(Manager.telegram_id == ANNA))
        complaint = await one(service, select(Complaint))
        assert (complaint.lead_id, complaint.manager_id) == (lead_id, anna.id)
        # Never routed to the manager it is about.
        assert len(emulator.sent_messages(ANNA)) == to_manager


async def test_a_decline_while_the_accept_timer_runs_out_is_a_decline(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url)
    team = config((ANNA, "Анна"), (BORIS, "Борис"))
    async with running_service(settings, team, clock=clock) as service:
        emulator.add_update(emulator.make_text_update(PLAIN, "Нужны окна"))

        async def offered() -> Lead | None:
            return await one(service, select(Lead).where(Lead.offered_manager_id.is_not(None)))

        await emulator.wait_for(offered, timeout=10)
        lead = await offered()
        assert lead is not None
        managers = {m.id: m for m in await all_of(service, select(Manager))}
        first = managers[lead.offered_manager_id]
        second = BORIS if first.telegram_id == ANNA else ANNA
        await said(emulator, first.telegram_id, "Нужны окна")

        emulator.add_update(
            emulator.make_callback_update(first.telegram_id, f"lead:dec:{lead.id}:")
        )
        # Takes effect at once: the next manager has it before any reason is typed.
        await said(emulator, second, "Нужны окна")
        await said(emulator, first.telegram_id, f"Лид #{lead.id} передан дальше")

        clock.advance(timedelta(minutes=6))
        await expire_offers(service.ctx)
        emulator.add_update(emulator.make_text_update(first.telegram_id, "Занят на объекте"))
        await said(emulator, first.telegram_id, "Причина отказа")
        assert not any("не ваш" in text for text in texts_to(emulator, first.telegram_id))

        [mine] = await all_of(
            service,
            select(LeadOffer).where(LeadOffer.lead_id == lead.id, LeadOffer.manager_id == first.id),
        )
        assert (mine.outcome, mine.reason) == ("declined", "Занят на объекте")
        events = await all_of(
            service,
            select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.manager_id == first.id),
        )
        assert "offer_expired" not in [event.type for event in events]
        report = await load_report(service.ctx, period_of(service.ctx, "today"))
        offers = report.managers[first.id].offers
        assert (offers.declined, offers.expired) == (1, 0)
