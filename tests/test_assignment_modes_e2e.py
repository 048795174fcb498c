"""`distribution.assignment` through the real bot: a returning customer goes to the manager
who has waited longest in `pool`, back to his own manager in `personal`; `/team` says
which."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from config.business import parse_config
from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service

HEAD, ANNA, BORIS = 900, 101, 102
FIRST, SECOND, THIRD = 5001, 5002, 5003
ALWAYS = {"mon-sun": "00:00-00:00"}


def config(mode: str):  # type: ignore[no-untyped-def]
    return parse_config(
        {
            "company": {"timezone": "UTC", "working_hours": ALWAYS},
            "distribution": {"assignment": mode},
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Head"}],
                "managers": [
                    {"telegram_id": ANNA, "name": "Анна", "working_hours": ALWAYS},
                    {"telegram_id": BORIS, "name": "Борис", "working_hours": ALWAYS},
                ],
            },
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def _buttons(call) -> list[str]:  # type: ignore[no-untyped-def]
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def _offers(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [
        button
        for call in emulator.sent_messages(chat)
        for button in _buttons(call)
        if button.startswith("lead:acc:")
    ]


async def _offered(emulator: TelegramEmulator, customer: int, text: str) -> tuple[int, str]:
    """The customer writes; returns who got the offer and its accept button."""
    before = {chat: len(_offers(emulator, chat)) for chat in (ANNA, BORIS)}
    emulator.add_update(emulator.make_text_update(customer, text))

    async def offered() -> bool:
        return any(len(_offers(emulator, chat)) > before[chat] for chat in (ANNA, BORIS))

    await emulator.wait_for(offered, timeout=10)
    chat = next(chat for chat in (ANNA, BORIS) if len(_offers(emulator, chat)) > before[chat])
    return chat, _offers(emulator, chat)[-1]


async def _text_to(emulator: TelegramEmulator, chat: int, contains: str) -> str:
    async def found() -> bool:
        return any(contains in str(c.params.get("text", "")) for c in emulator.sent_messages(chat))

    await emulator.wait_for(found, timeout=10)
    return next(
        str(c.params["text"])
        for c in reversed(emulator.sent_messages(chat))
        if contains in str(c.params.get("text", ""))
    )


@pytest.mark.parametrize(
    ("mode", "returning_goes_to", "team_says"),
    [("pool", BORIS, "Общий пул"), ("personal", ANNA, "Клиенты закреплены")],
)
async def test_returning_customer_in_pool_and_personal_mode(
    database_url: str,
    emulator: TelegramEmulator,
    clock: ManualClock,
    mode: str,
    returning_goes_to: int,
    team_says: str,
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config(mode), clock=clock):
        # The first customer's lead goes to Anna, who accepts and wins it.
        chat, accept = await _offered(emulator, FIRST, "Нужны окна на дачу")
        assert chat == ANNA
        lead_id = accept.split(":")[2]
        emulator.add_update(emulator.make_callback_update(ANNA, accept))
        emulator.add_update(emulator.make_callback_update(ANNA, f"lead:won:{lead_id}:"))
        await _text_to(emulator, ANNA, "Сумма сделки")
        emulator.add_update(emulator.make_text_update(ANNA, "10 000"))
        await _text_to(emulator, ANNA, "закрыт")

        # Boris, then Anna again, each waited longer than the other at the time.
        clock.advance(timedelta(minutes=1))
        assert (await _offered(emulator, SECOND, "Сколько стоит балкон?"))[0] == BORIS
        clock.advance(timedelta(minutes=1))
        assert (await _offered(emulator, THIRD, "Хочу подоконник"))[0] == ANNA

        # Now Boris has waited longest; the first customer comes back.
        clock.advance(timedelta(minutes=1))
        chat, _ = await _offered(emulator, FIRST, "Здравствуйте, это снова я, нужна ещё дверь")
        assert chat == returning_goes_to

        emulator.add_update(emulator.make_text_update(HEAD, "/team"))
        team = await _text_to(emulator, HEAD, "Анна")
        assert team_says in team
