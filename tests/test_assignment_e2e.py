"""A lead's whole path through the real bot and the emulator: offered to the right
manager, accepted by button, answered through the bot, relayed both ways, won."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from config.business import parse_config
from storage.models import Lead, LeadEvent
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service

HEAD, SENIOR, JUNIOR, CUSTOMER, BIG_CUSTOMER = 900, 101, 102, 5001, 5002
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    "sla": {"accept_timeout": "5m"},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Head"}],
        "managers": [
            {"telegram_id": SENIOR, "name": "Sergey", "level": "senior", "working_hours": ALWAYS},
            {"telegram_id": JUNIOR, "name": "Julia", "level": "junior", "working_hours": ALWAYS},
            # Never on shift: must never be offered anything.
            {
                "telegram_id": 103,
                "name": "Night",
                "level": "senior",
                "working_hours": {"mon-sun": "off"},
            },
        ],
    },
    "lead_classes": [
        {"name": "big", "min_level": "senior", "priority": 5, "when": {"words": ["тендер"]}},
        {"name": "standard"},
    ],
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def buttons(call) -> list[str]:  # type: ignore[no-untyped-def]
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def last_to(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1):  # type: ignore[no-untyped-def]
    async def found() -> bool:
        return sum(contains in str(c.params.get("text", "")) for c in emulator.shown(chat)) >= count

    await emulator.wait_for(found, timeout=10)
    return [c for c in emulator.shown(chat) if contains in str(c.params.get("text", ""))][-1]


async def test_offer_accept_reply_relay_and_win(
    database_url: str, emulator: TelegramEmulator
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, parse_config(CONFIG)) as service:
        emulator.add_update(
            emulator.make_text_update(BIG_CUSTOMER, "Участвуем в тендере на 300 окон")
        )
        big_card = await last_to(emulator, SENIOR, "тендере")
        assert any(b.startswith("lead:acc:") for b in buttons(big_card))

        emulator.add_update(
            emulator.make_text_update(CUSTOMER, "Сколько стоит окно?", first_name="Анна")
        )
        card = await last_to(emulator, JUNIOR, "Сколько стоит окно?")
        accept = next(b for b in buttons(card) if b.startswith("lead:acc:"))
        lead_id = int(accept.split(":")[2])
        assert emulator.sent_messages(103) == []

        # A forged press by another manager changes nothing.
        emulator.add_update(emulator.make_callback_update(SENIOR, accept))
        emulator.add_update(emulator.make_callback_update(JUNIOR, accept))
        work_card = await last_to(emulator, JUNIOR, f"#{lead_id}", count=2)
        reply = next(b for b in buttons(work_card) if b.startswith("lead:rep:"))

        emulator.add_update(emulator.make_callback_update(JUNIOR, reply))
        await last_to(emulator, JUNIOR, "Напишите ответ клиенту")
        emulator.add_update(
            emulator.make_text_update(JUNIOR, "Добрый день! Окно 120×140 — 9 900 ₽ <с монтажом>")
        )
        answer = await last_to(emulator, CUSTOMER, "9 900")
        assert answer.params["text"] == "Добрый день! Окно 120×140 — 9 900 ₽ <с монтажом>"

        emulator.add_update(
            emulator.make_text_update(CUSTOMER, "А доставка когда?", first_name="Анна")
        )
        relay = await last_to(emulator, JUNIOR, "А доставка когда?")
        assert f"#{lead_id}" in relay.params["text"]

        for stage in ("contacted", "qualified", "proposal"):
            emulator.add_update(
                emulator.make_callback_update(JUNIOR, f"lead:stg:{lead_id}:{stage}")
            )
            await asyncio.sleep(0.3)
        # «Выигран» asks for the deal's amount; the typed amount closes the lead.
        emulator.add_update(emulator.make_callback_update(JUNIOR, f"lead:won:{lead_id}:"))
        await last_to(emulator, JUNIOR, "Сумма сделки")
        emulator.add_update(emulator.make_text_update(JUNIOR, "9 900"))
        await last_to(emulator, JUNIOR, "закрыт")

        # A customer never reaches manager commands.
        emulator.add_update(emulator.make_text_update(CUSTOMER, "/leads"))
        await last_to(emulator, CUSTOMER, "только сотрудникам")

        async with service.ctx.db.session_factory() as session:
            lead = await session.get(Lead, lead_id)
            events = list(
                await session.scalars(
                    select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
                )
            )
    assert lead is not None and lead.status == "won"
    assert (lead.amount_minor, lead.currency) == (990_000, "RUB")
    kinds = [e.type for e in events]
    for expected in ("lead_created", "offered", "accepted", "replied", "stage_changed", "closed"):
        assert expected in kinds
    staff_events = [e for e in events if e.actor.startswith("manager:")]
    assert staff_events and all(e.actor == f"manager:{lead.manager_id}" for e in staff_events)
    assert all(e.at is not None for e in events)
    # The forged accept from the senior left no trace.
    assert not any(e.type == "accepted" and e.manager_id != lead.manager_id for e in events)
