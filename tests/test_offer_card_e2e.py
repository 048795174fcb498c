"""The offer card changes in place with the offer, through the real bot and the emulator:
accepted, it becomes the card of his lead; declined, expired or taken by someone else, it
says so and keeps no buttons. Every press is answered with a toast, and the manager gets
no second card or notice for the same lead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels.telegram.plugin import create_bot
from channels.telegram.sender import TelegramSender
from config.business import parse_config
from domain.clock import ManualClock
from storage.models import OutboxMessage
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from usecases.assignment import expire_offers
from usecases.ports import SendStatus

HEAD, IVAN, OLGA = 900, 101, 102
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    "sla": {"accept_timeout": "5m", "max_passes": 5},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Head", "language": "ru"}],
        "managers": [
            {"telegram_id": IVAN, "name": "Иван", "capacity": 100, "working_hours": ALWAYS},
        ],
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def offer_card(service, emulator: TelegramEmulator, manager: int) -> Call:  # type: ignore[no-untyped-def]
    """His offer card, once the service has stored the message id it went out with."""

    def offers() -> list[Call]:
        return [
            c for c in emulator.sent_messages(manager) if any("lead:acc:" in b for b in buttons(c))
        ]

    await emulator.wait_for(offers, timeout=15)
    card = offers()[-1]
    external = f"{manager}:{card.result['message_id']}"

    async def stored() -> bool:
        async with service.ctx.db.session_factory() as session:
            found = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.external_id == external)
            )
        return found is not None

    await wait_until(stored)
    return card


def lead_of(card: Call) -> int:
    return int(next(b for b in buttons(card) if b.startswith("lead:acc:")).split(":")[2])


async def edited(emulator: TelegramEmulator, manager: int, card: Call, contains: str) -> Call:
    message_id = card.result["message_id"]

    def found() -> list[Call]:
        return [
            c
            for c in emulator.edits(manager)
            if str(c.params.get("message_id")) == str(message_id)
            and contains in str(c.params["text"])
        ]

    await emulator.wait_for(found, timeout=15)
    return found()[-1]


def toasts(emulator: TelegramEmulator) -> list[str]:
    return [str(c.params.get("text", "")) for c in emulator.calls_to("answerCallbackQuery")]


async def test_accept_edits_the_offer_into_his_lead_card_and_sends_no_second_card(
    database_url: str, emulator: TelegramEmulator
) -> None:
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0.05)
    async with running_service(settings, parse_config(CONFIG)) as service:
        emulator.add_update(emulator.make_text_update(5001, "Сколько стоит доставка?"))
        card = await offer_card(service, emulator, IVAN)
        lead_id = lead_of(card)
        before = len(emulator.sent_messages(IVAN))
        emulator.add_update(
            emulator.make_callback_update(
                IVAN, f"lead:acc:{lead_id}:", message_id=card.result["message_id"]
            )
        )
        edit = await edited(emulator, IVAN, card, f"Лид #{lead_id} ваш")
        await emulator.wait_for(lambda: f"Лид #{lead_id} ваш" in toasts(emulator), timeout=15)
        # His lead's buttons now, not the offer's.
        assert f"lead:rep:{lead_id}:" in buttons(edit)
        assert not any(b.startswith("lead:acc:") for b in buttons(edit))
        assert "Сколько стоит доставка?" in str(edit.params["text"])
        # A later message to him (the customer's next words) shows nothing came between.
        emulator.add_update(emulator.make_text_update(5001, "И сроки?"))
        await emulator.wait_for(
            lambda: any(
                "И сроки?" in str(c.params.get("text")) for c in emulator.sent_messages(IVAN)
            ),
            timeout=15,
        )
    assert len(emulator.sent_messages(IVAN)) == before + 1


async def test_an_offer_nobody_accepted_in_time_says_so_on_its_own_card(
    database_url: str, emulator: TelegramEmulator, clock: ManualClock
) -> None:
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0.05)
    async with running_service(settings, parse_config(CONFIG), clock=clock) as service:
        emulator.add_update(emulator.make_text_update(5002, "Нужен расчёт"))
        card = await offer_card(service, emulator, IVAN)
        lead_id = lead_of(card)
        before = len(emulator.sent_messages(IVAN))
        clock.advance(timedelta(minutes=6))
        await expire_offers(service.ctx)
        edit = await edited(emulator, IVAN, card, "Время на принятие")
        assert f"#{lead_id}" in str(edit.params["text"])
        assert buttons(edit) == []
    # The lead may come back to him on its next pass as a new offer, but no notice came.
    assert not any(
        "передан дальше" in str(c.params.get("text")) for c in emulator.sent_messages(IVAN)[before:]
    )


async def test_declined_or_taken_by_the_head_the_offer_card_says_so(
    database_url: str, emulator: TelegramEmulator
) -> None:
    config = {
        **CONFIG,
        "team": {
            **CONFIG["team"],
            "managers": [
                {"telegram_id": IVAN, "name": "Иван", "capacity": 100, "working_hours": ALWAYS},
                {"telegram_id": OLGA, "name": "Ольга", "capacity": 100, "working_hours": ALWAYS},
            ],
        },
    }
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0.05)
    async with running_service(settings, parse_config(config)) as service:
        emulator.add_update(emulator.make_text_update(5003, "Нужна доставка"))

        def first_offered() -> int | None:
            for manager in (IVAN, OLGA):
                if any(
                    any("lead:acc:" in b for b in buttons(c))
                    for c in emulator.sent_messages(manager)
                ):
                    return manager
            return None

        await emulator.wait_for(first_offered, timeout=15)
        first = first_offered()
        assert first is not None
        second = OLGA if first == IVAN else IVAN
        card = await offer_card(service, emulator, first)
        lead_id = lead_of(card)
        emulator.add_update(
            emulator.make_callback_update(
                first, f"lead:dec:{lead_id}:", message_id=card.result["message_id"]
            )
        )
        declined = await edited(emulator, first, card, "Вы отказались")
        assert buttons(declined) == []
        await emulator.wait_for(
            lambda: f"Лид #{lead_id} передан дальше" in toasts(emulator), timeout=15
        )

        offer = await offer_card(service, emulator, second)
        before = len(emulator.sent_messages(second))
        emulator.add_update(emulator.make_callback_update(HEAD, f"lead:take:{lead_id}:"))
        gone = await edited(emulator, second, offer, f"#{lead_id}")
        assert buttons(gone) == []
        assert "Head" in str(gone.params["text"])
        await emulator.wait_for(lambda: f"Лид #{lead_id} назначен" in toasts(emulator), timeout=15)
    assert len(emulator.sent_messages(second)) == before


async def test_a_card_that_is_gone_is_sent_anew_and_an_unchanged_one_is_left(
    emulator: TelegramEmulator,
) -> None:
    bot = create_bot(TOKEN, emulator.base_url)
    sender = TelegramSender(bot)
    try:
        card = {"text": "Лид #7", "parse_mode": "HTML"}
        first = await sender.send(str(IVAN), card)
        assert first.status is SendStatus.SENT and first.external_id
        message_id = int(first.external_id.split(":")[1])
        # The same text again: Telegram says "not modified"; the card already says it.
        same = await sender.send(str(IVAN), {**card, "edit_message_id": message_id})
        assert (same.status, same.external_id) == (SendStatus.SENT, first.external_id)
        # He deleted the card: its news come as a new message instead of being lost.
        gone = await sender.send(str(IVAN), {**card, "text": "Лид #7 ваш", "edit_message_id": 999})
        assert gone.status is SendStatus.SENT and gone.external_id != first.external_id
        assert [str(c.params["text"]) for c in emulator.sent_messages(IVAN)] == [
            "Лид #7",
            "Лид #7 ваш",
        ]
    finally:
        await bot.session.close()
