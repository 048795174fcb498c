"""A customer who sent /stop comes back with /start while his lead is still open: he is
told he is subscribed again (in his language), and what he writes next still reaches his
manager, through the real bot and the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from config.business import parse_config
from storage.models import Contact
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.service import TOKEN, make_settings, running_service

MANAGER = 301
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"name": "Acme", "timezone": "UTC", "working_hours": ALWAYS},
    # Rotation: the lead is the manager's at once, so what the customer writes is relayed.
    "distribution": {"mode": "rotation"},
    "team": {
        "managers": [
            {"telegram_id": MANAGER, "name": "Julia", "level": "senior", "working_hours": ALWAYS}
        ]
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


async def sent_to(emulator: TelegramEmulator, chat: int, contains: str) -> Call:
    def found() -> bool:
        return any(contains in text_of(c) for c in emulator.sent_messages(chat))

    await emulator.wait_for(found, timeout=15)
    return next(c for c in emulator.sent_messages(chat) if contains in text_of(c))


@pytest.mark.parametrize(
    ("customer", "language", "question", "stopped", "again", "later"),
    [
        (
            6101,
            "ru",
            "Сколько стоит доставка?",
            "Вы отписались от рассылок",
            "Вы снова подписаны на новости",
            "А в субботу привезёте?",
        ),
        (
            6102,
            "en",
            "How much is delivery?",
            "You are unsubscribed from news",
            "You are subscribed to news again",
            "Do you deliver on Saturday?",
        ),
    ],
    ids=["ru", "en"],
)
async def test_start_after_stop_with_an_open_lead_is_answered_and_relaying_goes_on(
    database_url: str,
    emulator: TelegramEmulator,
    customer: int,
    language: str,
    question: str,
    stopped: str,
    again: str,
    later: str,
) -> None:
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0.05)
    async with running_service(settings, parse_config(CONFIG)) as svc:

        def update(text: str) -> dict[str, object]:
            return emulator.make_text_update(customer, text, language_code=language)

        emulator.add_update(update(question))
        await sent_to(emulator, MANAGER, question)
        emulator.add_update(update("/stop"))
        await sent_to(emulator, customer, stopped)
        emulator.add_update(update("/start"))
        await sent_to(emulator, customer, again)
        emulator.add_update(update(later))
        await sent_to(emulator, MANAGER, later)

        async with svc.ctx.db.session_factory() as session:
            opted_out = await session.scalar(select(Contact.marketing_opt_out_at))
    assert opted_out is None
    # The confirmation comes once, and /start itself is no question for the manager.
    assert sum(again in text_of(c) for c in emulator.sent_messages(customer)) == 1
    assert not any(text_of(c) == "/start" for c in emulator.sent_messages(MANAGER))
