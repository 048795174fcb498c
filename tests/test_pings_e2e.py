"""Pings to the head through the real bot and the emulator: a lead nobody takes is told
with its customer, question, class and why; a burst of them comes as one summary ping
from which every lead can still be assigned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import Lead, LeadAlert
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from usecases.assignment import Verdict, accept, expire_offers
from usecases.pings import BURST_LIMIT, SUMMARY_QUIET, send_summaries
from usecases.timers import check_timers

HEAD, IVAN = 900, 101
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    "sla": {"accept_timeout": "5m", "max_passes": 1, "first_response": "1d"},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Head"}],
        "managers": [
            {"telegram_id": IVAN, "name": "Иван", "capacity": 100, "working_hours": ALWAYS}
        ],
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def texts_to(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in emulator.sent_messages(chat)]


def buttons(call) -> list[str]:  # type: ignore[no-untyped-def]
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def _offers_out(emulator: TelegramEmulator, count: int) -> None:
    async def out() -> bool:
        return sum("lead:acc:" in str(buttons(c)) for c in emulator.sent_messages(IVAN)) >= count

    await wait_until(out, timeout=60)


async def test_escalation_names_customer_question_class_and_reason(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, parse_config(CONFIG), clock=clock) as service:
        emulator.add_update(
            emulator.make_text_update(
                5001,
                "Нужна доставка опасного груза из Москвы в Казань на следующей неделе срочно",
                first_name="Анна",
            )
        )
        await _offers_out(emulator, 1)
        clock.advance(timedelta(minutes=6))
        await expire_offers(service.ctx)

        async def pinged() -> bool:
            return any("никто не принял" in t for t in texts_to(emulator, HEAD))

        await wait_until(pinged)
        ping = next(t for t in texts_to(emulator, HEAD) if "никто не принял" in t)
        assert "Анна" in ping
        assert "Нужна доставка опасного груза" in ping
        assert "обычный" in ping  # the class, as the team calls it
        assert "время на принятие вышло — Иван" in ping
        assert "standard" not in ping and "offer_expired" not in ping


async def test_thirty_leads_in_a_minute_give_one_summary_each_lead_assignable(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, parse_config(CONFIG), clock=clock) as service:
        for index in range(30):
            emulator.add_update(
                emulator.make_text_update(
                    6000 + index, f"Вопрос номер {index} про доставку", first_name=f"Клиент{index}"
                )
            )
        await _offers_out(emulator, 30)
        clock.advance(timedelta(minutes=6))
        await expire_offers(service.ctx)
        # The burst is quiet now: the held escalations go out as one summary.
        clock.advance(SUMMARY_QUIET + timedelta(seconds=1))
        await send_summaries(service.ctx)

        async def summary_out() -> bool:
            return any("Много лидов без менеджера" in t for t in texts_to(emulator, HEAD))

        await wait_until(summary_out, timeout=30)
        pings = [t for t in texts_to(emulator, HEAD) if "никто не принял" in t]
        summaries = [
            c
            for c in emulator.sent_messages(HEAD)
            if "Много лидов без менеджера" in str(c.params.get("text", ""))
        ]
        assert len(summaries) == 1
        assert len(pings) <= BURST_LIMIT
        async with service.ctx.db.session_factory() as session:
            lead_ids = list(await session.scalars(select(Lead.id).order_by(Lead.id)))
        assert len(lead_ids) == 30
        summary = summaries[0]
        data = buttons(summary)
        in_summary = {int(d.split(":")[2]) for d in data if d.startswith("lead:take:")}
        singly = {i for i in lead_ids if any(f"Лид #{i} " in t for t in pings)}
        assert in_summary | singly == set(lead_ids)
        assert len(in_summary) == 30 - len(pings)
        # Each line names its customer and reason; each lead has its own buttons.
        text = str(summary.params["text"])
        assert "время на принятие вышло — Иван" in text
        assert all(f"lead:asg:{i}:" in " ".join(data) for i in in_summary)

        # Assigning one lead from the summary works and is answered.
        target = max(in_summary)
        assign = next(d for d in data if d.startswith(f"lead:asg:{target}:"))
        emulator.add_update(
            emulator.make_callback_update(HEAD, assign, message_id=summary.result["message_id"])
        )

        async def assigned() -> bool:
            async with service.ctx.db.session_factory() as session:
                lead = await session.get(Lead, target)
                return lead is not None and lead.manager_id is not None

        await wait_until(assigned)
        await wait_until(lambda_answered(emulator))


def lambda_answered(emulator: TelegramEmulator):  # type: ignore[no-untyped-def]
    async def answered() -> bool:
        return any(call.params.get("text") for call in emulator.calls_to("answerCallbackQuery"))

    return answered


async def test_deadline_missed_during_a_burst_is_told_even_if_the_lead_was_taken_since(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    config = {**CONFIG, "sla": {"accept_timeout": "1h", "max_passes": 1, "first_response": "1m"}}
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, parse_config(config), clock=clock) as service:
        for index in range(8):
            emulator.add_update(
                emulator.make_text_update(
                    7000 + index, f"Нужен расчёт {index}", first_name=f"Заказчик{index}"
                )
            )
        await _offers_out(emulator, 8)
        clock.advance(timedelta(minutes=2))
        await check_timers(service.ctx)
        async with service.ctx.db.session_factory() as session:
            held = list(
                await session.scalars(select(LeadAlert.lead_id).where(LeadAlert.held.is_(True)))
            )
        # More breaches than a burst allows: some wait for the summary.
        assert held
        # Ivan takes every held lead before the burst calms down.
        for lead_id in held:
            assert await accept(service.ctx, lead_id, IVAN) is Verdict.DONE
        clock.advance(SUMMARY_QUIET + timedelta(seconds=1))
        assert await send_summaries(service.ctx) == len(held)

        async def late_told() -> bool:
            return any("Срок пропущен" in t for t in texts_to(emulator, HEAD))

        await wait_until(late_told, timeout=30)
        summary = next(t for t in texts_to(emulator, HEAD) if "Срок пропущен" in t)
        for lead_id in held:
            assert f"#{lead_id} " in summary
        assert "ведёт: Иван" in summary
        assert "Много лидов без менеджера" not in summary  # nothing left to hand out
