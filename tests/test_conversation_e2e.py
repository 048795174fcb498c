"""What opens a lead and what its holder sees, through the real bot and the emulator:
a bare /start greets and waits for the question; the question sets class and card; the
customer's files reach the holder as copies; a long message is visibly cut in the card
and whole in /lead N full."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from config.business import parse_config
from storage.models import Contact, Lead, LeadOffer, OutboxMessage
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.service import TOKEN, make_settings, running_service

HEAD, SENIOR, JUNIOR = 900, 101, 102
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"name": "Acme", "timezone": "UTC", "working_hours": ALWAYS},
    "sla": {"accept_timeout": "5m"},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Head"}],
        "managers": [
            {"telegram_id": SENIOR, "name": "Sergey", "level": "senior", "working_hours": ALWAYS},
            {"telegram_id": JUNIOR, "name": "Julia", "level": "junior", "working_hours": ALWAYS},
        ],
    },
    # As in leadkeeper.example.yaml: "оптом" makes a lead big (seniors only).
    "lead_classes": [
        {
            "name": "big",
            "min_level": "senior",
            "priority": 10,
            "when": {"words": ["опт", "тендер", "оптом", "wholesale", "tender"]},
        },
        {"name": "standard", "min_level": "junior"},
    ],
}
QUESTION = "Нужна доставка оптом, примерно 20 тонн в месяц в Екатеринбург. Какие условия?"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def settings_for(database_url: str, emulator: TelegramEmulator):  # type: ignore[no-untyped-def]
    # A short pause between messages to one chat: these tests send many to the manager.
    return make_settings(database_url, emulator.base_url, telegram_chat_interval=0.05)


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


async def sent_to(emulator: TelegramEmulator, chat: int, contains: str, count: int = 1) -> Call:
    def found() -> bool:
        return sum(contains in text_of(c) for c in emulator.shown(chat)) >= count

    await emulator.wait_for(found, timeout=15)
    return [c for c in emulator.shown(chat) if contains in text_of(c)][-1]


async def card_about(emulator: TelegramEmulator, contains: str) -> tuple[int, Call]:
    """The manager the lead was offered to (either may be chosen), and the card."""

    def found() -> bool:
        return any(
            contains in text_of(c) for m in (SENIOR, JUNIOR) for c in emulator.sent_messages(m)
        )

    await emulator.wait_for(found, timeout=15)
    for manager in (SENIOR, JUNIOR):
        for call in emulator.sent_messages(manager):
            if contains in text_of(call):
                return manager, call
    raise AssertionError(f"{contains!r} went to nobody on the team")


def lead_of(card: Call) -> int:
    markup = card.params.get("reply_markup") or {}
    data = [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
    return int(next(d for d in data if d.startswith("lead:")).split(":")[2])


async def accepted_by(emulator: TelegramEmulator, manager: int, card: Call) -> int:
    lead_id = lead_of(card)
    emulator.add_update(emulator.make_callback_update(manager, f"lead:acc:{lead_id}:"))
    await sent_to(emulator, manager, f"Лид #{lead_id} ваш")
    return lead_id


def copies_to(emulator: TelegramEmulator, chat: int) -> list[Call]:
    return [c for c in emulator.calls_to("copyMessage") if c.chat_id == chat and c.delivered]


async def test_deep_link_then_question_opens_one_big_lead_and_a_bare_start_none(
    database_url: str, emulator: TelegramEmulator
) -> None:
    bare, linked = 5101, 5102
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)) as svc:
        emulator.add_update(emulator.make_text_update(bare, "/start", first_name="Борис"))
        emulator.add_update(
            emulator.make_text_update(linked, "/start ad_autumn", first_name="Анна")
        )
        await sent_to(emulator, bare, "Напишите ваш вопрос")
        await sent_to(emulator, linked, "Здравствуйте, Анна! Это Acme.")
        emulator.add_update(emulator.make_text_update(linked, QUESTION, first_name="Анна"))
        card = await sent_to(emulator, SENIOR, "Екатеринбург")
        assert "Новый лид" in text_of(card)
        assert "/start" not in text_of(card)
        assert "ad_autumn" in text_of(card)
        # The question is acknowledged as an enquiry, after the welcome.
        await sent_to(emulator, linked, "обращение получено")
        # The head sees the start that never became a question.
        emulator.add_update(emulator.make_text_update(HEAD, "/report today"))
        await sent_to(emulator, HEAD, "Нажали /start, но ещё не написали вопрос: 1")

        async with svc.ctx.db.session_factory() as session:
            leads = list(await session.scalars(select(Lead)))
            offers = int(await session.scalar(select(func.count(LeadOffer.id))) or 0)
            waiting = list(
                await session.scalars(select(Contact).where(Contact.started_at.is_not(None)))
            )
    [lead] = leads
    assert (lead.source, lead.lead_class, lead.id) == ("ad_autumn", "big", lead_of(card))
    assert offers == 1
    # The bare /start is remembered as a start with no question, and reached no manager.
    assert [contact.display_name for contact in waiting] == ["Борис"]
    assert not any("Борис" in text_of(c) for c in emulator.sent_messages(JUNIOR))
    assert not any("Борис" in text_of(c) for c in emulator.sent_messages(SENIOR))


async def test_files_and_a_contact_reach_the_holder_and_long_text_is_marked_cut(
    database_url: str, emulator: TelegramEmulator
) -> None:
    customer, writer, photographer = 5201, 5202, 5203
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)) as svc:
        emulator.add_update(emulator.make_text_update(customer, "Сколько стоит окно?"))
        holder, card = await card_about(emulator, "Сколько стоит окно?")
        lead_id = await accepted_by(emulator, holder, card)

        photo = emulator.make_photo_update(customer)
        document = emulator.make_document_update(customer, b"%PDF-1.4", file_name="plan.pdf")
        voice = emulator.make_voice_update(customer, duration=4)
        for update in (photo, document, voice):
            emulator.add_update(update)
        emulator.add_update(
            emulator.make_contact_update(customer, "79161234567", first_name="John")
        )
        await emulator.wait_for(lambda: len(copies_to(emulator, holder)) >= 3, timeout=15)
        copied = [
            (int(c.params["from_chat_id"]), int(c.params["message_id"]))
            for c in copies_to(emulator, holder)
        ]
        originals = [(customer, u["message"]["message_id"]) for u in (photo, document, voice)]
        # Updates of one batch may be captured side by side: each file once, any order.
        assert sorted(copied) == sorted(originals)
        kinds = [
            next(k for k in ("photo", "document", "voice") if k in emulator.messages[key])
            for key in ((holder, c.result["message_id"]) for c in copies_to(emulator, holder))
        ]
        assert sorted(kinds) == ["document", "photo", "voice"]
        # Each file is announced in words with its lead; the contact reads as a person.
        await sent_to(emulator, holder, "Фото")
        await sent_to(emulator, holder, "plan.pdf")
        await sent_to(emulator, holder, "Голосовое сообщение")
        contact = await sent_to(emulator, holder, "Контакт")
        assert "John, +7 916 123-45-67" in text_of(contact)
        assert f"#{lead_id}" in text_of(contact)
        assert "79161234567" not in text_of(contact)

        # The first message a photo: the offer card is followed by the photo itself.
        emulator.add_update(emulator.make_photo_update(photographer, caption="Вот такое окно"))
        offered, offer = await card_about(emulator, "Вот такое окно")
        assert "Фото" in text_of(offer)
        copied_before = len(copies_to(emulator, offered)) if offered != holder else 3
        await emulator.wait_for(
            lambda: len(copies_to(emulator, offered)) >= copied_before + 1, timeout=15
        )
        assert int(copies_to(emulator, offered)[-1].params["from_chat_id"]) == photographer

        # Numbered sentences, so that each part of it can be told from the others.
        long_text = " ".join(f"Пункт {n}: окно с доставкой на этаж." for n in range(1, 400))
        long_text = long_text[:5000]
        emulator.add_update(emulator.make_text_update(writer, long_text, first_name="Пётр"))
        reader, card = await card_about(emulator, "Клиент: Пётр")
        long_lead = lead_of(card)
        assert f"обрезано, полностью: /lead {long_lead} full" in text_of(card)
        assert len(text_of(card)) < 4096

        await accepted_by(emulator, reader, card)
        before = len(emulator.sent_messages(reader))
        emulator.add_update(emulator.make_text_update(reader, f"/lead {long_lead} full"))
        await sent_to(emulator, reader, "вся переписка")
        await emulator.wait_for(
            lambda: (
                long_text.strip()[-200:]
                in "".join(text_of(c) for c in emulator.sent_messages(reader)[before:])
            ),
            timeout=15,
        )
        full = "\n".join(text_of(c) for c in emulator.sent_messages(reader)[before:])
        assert " ".join(long_text.split()) in " ".join(full.split())

        async with svc.ctx.db.session_factory() as session:
            failed = list(
                await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
            )
    assert failed == []
