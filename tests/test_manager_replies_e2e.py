"""Replies as managers write them, through the real bot and the emulator: a native
(swipe) reply to a relayed message or to a card reaches the customer; a reply longer than
one Telegram message arrives as several, in order; a photo in the Reply dialog arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from config.business import parse_config
from storage.models import Message, OutboxMessage
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.service import TOKEN, make_settings, running_service

MANAGER, CUSTOMER = 201, 6001
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    # Rotation: the lead is the manager's at once, no accept button to press.
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


async def sent_to(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1) -> Call:
    def found() -> bool:
        return sum(contains in text_of(c) for c in emulator.sent_messages(chat)) >= count

    await emulator.wait_for(found, timeout=15)
    return [c for c in emulator.sent_messages(chat) if contains in text_of(c)][-1]


async def recorded_as_sent(service, call: Call) -> None:  # type: ignore[no-untyped-def]
    """The service has stored the staff message id of this send (a reply can find it)."""
    external = f"{call.chat_id}:{call.result['message_id']}"

    async def stored() -> bool:
        async with service.ctx.db.session_factory() as session:
            found = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.external_id == external)
            )
        return found is not None

    await wait_for(stored)


async def wait_for(predicate) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + 15
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def settings_for(database_url: str, emulator: TelegramEmulator):  # type: ignore[no-untyped-def]
    return make_settings(database_url, emulator.base_url, telegram_chat_interval=0.05)


async def test_swipe_replies_to_a_relay_and_to_a_card_reach_the_customer(
    database_url: str, emulator: TelegramEmulator
) -> None:
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)) as svc:
        emulator.add_update(emulator.make_text_update(CUSTOMER, "Сколько стоит окно?"))
        card = await sent_to(emulator, MANAGER, "Сколько стоит окно?")
        emulator.add_update(emulator.make_text_update(CUSTOMER, "А доставка есть?"))
        relay = await sent_to(emulator, MANAGER, "А доставка есть?")
        await recorded_as_sent(svc, relay)
        await recorded_as_sent(svc, card)

        emulator.add_update(
            emulator.make_text_update(
                MANAGER, "Да, доставка бесплатная.", reply_to=relay.result["message_id"]
            )
        )
        answer = await sent_to(emulator, CUSTOMER, "Да, доставка бесплатная.")
        assert answer.params["text"] == "Да, доставка бесплатная."
        emulator.add_update(
            emulator.make_text_update(
                MANAGER, "Окно — 9 900 ₽.", reply_to=card.result["message_id"]
            )
        )
        await sent_to(emulator, CUSTOMER, "Окно — 9 900 ₽.")
        await sent_to(emulator, MANAGER, "доставлен клиенту", count=2)
        # A reply to something that is no lead's (the bot's word) still gets the help.
        help_text = await sent_to(emulator, MANAGER, "доставлен клиенту")
        emulator.add_update(
            emulator.make_text_update(MANAGER, "что это?", reply_to=help_text.result["message_id"])
        )
        await sent_to(emulator, MANAGER, "Команды:")

        async with svc.ctx.db.session_factory() as session:
            out = list(
                await session.scalars(
                    select(Message.text).where(Message.direction == "out").order_by(Message.id)
                )
            )
    assert out == ["Да, доставка бесплатная.", "Окно — 9 900 ₽."]
    assert not any("что это?" in text_of(c) for c in emulator.sent_messages(CUSTOMER))


async def test_a_long_reply_arrives_in_order_and_a_photo_reply_arrives(
    database_url: str, emulator: TelegramEmulator
) -> None:
    paragraphs = [
        " ".join(f"Абзац {p}, предложение {n}: условия поставки и оплаты." for n in range(12))
        for p in range(15)
    ]
    long_reply = "\n\n".join(paragraphs)
    assert 8800 <= len(long_reply) <= 9300
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)):
        emulator.add_update(emulator.make_text_update(CUSTOMER, "Пришлите условия"))
        card = await sent_to(emulator, MANAGER, "Пришлите условия")
        first_button = card.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        reply_button = f"lead:rep:{first_button.split(':')[2]}:"

        emulator.add_update(emulator.make_callback_update(MANAGER, reply_button))
        await sent_to(emulator, MANAGER, "Напишите ответ клиенту")
        emulator.add_update(emulator.make_text_update(MANAGER, long_reply))
        await sent_to(emulator, CUSTOMER, "Абзац 14, предложение 11")
        parts = [c for c in emulator.sent_messages(CUSTOMER) if "Абзац" in text_of(c)]
        assert len(parts) == 3
        assert all(len(text_of(c)) <= 4096 for c in parts)
        assert "\n\n".join(text_of(c) for c in parts) == long_reply
        assert text_of(parts[0]).startswith("Абзац 0,")
        # Three parts, one reply: its fate is told once, when the last part arrived.
        await sent_to(emulator, MANAGER, "доставлен клиенту")
        told = [c for c in emulator.sent_messages(MANAGER) if "доставлен" in text_of(c)]
        assert len(told) == 1

        emulator.add_update(emulator.make_callback_update(MANAGER, reply_button))
        await sent_to(emulator, MANAGER, "Напишите ответ клиенту", count=2)
        photo = emulator.make_photo_update(MANAGER, caption="Вот образец профиля")
        emulator.add_update(photo)
        await emulator.wait_for(
            lambda: any(
                c.chat_id == CUSTOMER and c.delivered for c in emulator.calls_to("copyMessage")
            ),
            timeout=15,
        )
        [copy] = [c for c in emulator.calls_to("copyMessage") if c.chat_id == CUSTOMER]
        assert int(copy.params["from_chat_id"]) == MANAGER
        assert int(copy.params["message_id"]) == photo["message"]["message_id"]
        arrived = emulator.messages[(CUSTOMER, copy.result["message_id"])]
        assert "photo" in arrived and arrived["caption"] == "Вот образец профиля"
