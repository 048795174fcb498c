"""Telegram Business through the real bot and the Telegram emulator: an account connects
the bot; its customers' chats become leads of the account's owner; a manager's reply
reaches the customer on the account's behalf; the owner's own answer in the app is his
first response and goes nowhere; a lost connection pings the head once; the webhook
route carries business updates too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram.exceptions import TelegramBadRequest
from sqlalchemy import func, select

from channels.telegram.plugin import create_bot
from config.business import parse_config
from domain.business import CHANNEL
from domain.buttons import LeadButton, lead_button
from domain.clock import ManualClock
from storage.business_models import BusinessConnection
from storage.models import Lead, LeadAlert, LeadEvent, Message
from tests.emulator.telegram import TelegramEmulator
from tests.support.business import (
    OWNER,
    connect,
    drained,
    manager_id,
    only_lead,
    reply_through_bot,
    rows,
    said_to,
    sent_to,
    settings_for,
    text_of,
)
from tests.support.service import TOKEN, running_service, wait_until
from tests.support.team import MONDAY_10
from usecases.timers import check_timers

HEAD, JULIA = 500, 302
STRANGER = 399  # an account whose owner is not on the team
ANNA, BORIS = 7001, 7002
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    "sla": {"first_response": "30m", "first_response_reminder": "20m"},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Olga", "language": "en"}],
        "managers": [
            {"telegram_id": OWNER, "name": "Ivan", "level": "senior", "working_hours": ALWAYS},
            {"telegram_id": JULIA, "name": "Julia", "level": "senior", "working_hours": ALWAYS},
        ],
    },
}
BUSINESS_KINDS = {
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def test_a_customer_becomes_the_owners_lead_once_and_a_reply_goes_on_the_accounts_behalf(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    async with running_service(
        settings_for(database_url, emulator), parse_config(CONFIG), clock=clock
    ) as svc:
        connection = await connect(emulator)
        await sent_to(emulator, HEAD, "Ivan (@ivan_sales) connected the bot")
        first = emulator.make_business_message_update(
            connection, ANNA, "Сколько стоит доставка в Казань?", first_name="Анна"
        )
        emulator.add_update(first)
        card = await sent_to(emulator, OWNER, "Сколько стоит доставка в Казань?")
        # Telegram delivers the same update again (its confirmation was lost).
        emulator.add_update(dict(first))
        await drained(svc, emulator)

        lead = await only_lead(svc)
        owner_id = await manager_id(svc, OWNER)
        assert (lead.channel, lead.manager_id, lead.offered_manager_id) == (
            CHANNEL,
            owner_id,
            None,
        )
        assert lead.source == "@ivan_sales"
        assert "lead:acc:" not in str(card.params.get("reply_markup"))  # his, no offer
        assert len(await rows(svc, Message, Message.lead_id == lead.id)) == 1
        assigned = await rows(svc, LeadEvent, LeadEvent.type == "assigned")
        assert [event.data["mode"] for event in assigned] == ["business_account"]
        # No automatic answer from a person's account: it has its own greeting messages.
        assert emulator.business_sends(ANNA) == []
        assert emulator.sent_messages(ANNA) == []

        await reply_through_bot(emulator, lead.id, "Доставка в Казань бесплатная.")
        answer = await sent_to(emulator, ANNA, "Доставка в Казань бесплатная.")
        assert answer.params["business_connection_id"] == connection
        await sent_to(emulator, OWNER, "доставлен клиенту")
        await drained(svc, emulator)  # the echo of that send came back as a business_message
        out = await rows(svc, Message, Message.direction == "out")
        assert [(m.text, m.channel, m.author_manager_id) for m in out] == [
            ("Доставка в Казань бесплатная.", CHANNEL, owner_id)
        ]
        assert out[0].external_id == f"{OWNER}:{ANNA}:{answer.result['message_id']}"
        assert (await only_lead(svc)).first_response_at == MONDAY_10

        # A later message of hers is not relayed to Ivan's bot chat: he reads her himself.
        emulator.add_update(emulator.make_business_message_update(connection, ANNA, "Спасибо!"))
        await drained(svc, emulator)
        assert len(await rows(svc, Message, Message.direction == "in")) == 2
        assert said_to(emulator, OWNER, "Спасибо!") == []
    polls = emulator.calls_to("getUpdates")
    assert BUSINESS_KINDS <= set(polls[-1].params["allowed_updates"])


async def test_the_owners_own_answer_in_the_app_is_his_first_response_and_goes_nowhere(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    async with running_service(
        settings_for(database_url, emulator), parse_config(CONFIG), clock=clock
    ) as svc:
        connection = await connect(emulator)
        emulator.add_update(
            emulator.make_business_message_update(connection, ANNA, "Есть ли размер XL?")
        )
        await sent_to(emulator, OWNER, "Есть ли размер XL?")
        # Telegram's away message, sent for him: kept, but no answer of his.
        clock.advance(timedelta(minutes=1))
        emulator.add_update(
            emulator.make_business_owner_update(
                connection, ANNA, "Я отвечу в рабочее время.", from_offline=True
            )
        )
        await drained(svc, emulator)
        assert (await only_lead(svc)).first_response_at is None

        clock.advance(timedelta(minutes=9))
        answered_at = clock.now()
        written = emulator.make_business_owner_update(connection, ANNA, "Да, XL есть.")
        emulator.add_update(written)
        emulator.add_update(dict(written))  # redelivered
        await drained(svc, emulator)
        lead = await only_lead(svc)
        assert lead.first_response_at == answered_at
        owner_id = await manager_id(svc, OWNER)
        out = await rows(svc, Message, Message.direction == "out")
        assert [(m.text, m.author_manager_id) for m in out] == [
            ("Я отвечу в рабочее время.", owner_id),
            ("Да, XL есть.", owner_id),
        ]
        replied = await rows(svc, LeadEvent, LeadEvent.type == "replied")
        assert [(e.manager_id, e.data["via"]) for e in replied] == [(owner_id, "telegram_app")]

        # Past the 30-minute SLA nothing fires: his answer stopped the timers.
        clock.advance(timedelta(hours=2))
        assert await check_timers(svc.ctx) == 0
        assert await rows(svc, LeadAlert) == []

        # He edits his answer; she deletes her question: both kept in the history.
        message_id = written["business_message"]["message_id"]
        emulator.add_update(
            emulator.make_edited_business_message_update(
                connection, ANNA, message_id, "Да, XL и XXL есть."
            )
        )
        question_id = 1
        emulator.add_update(
            emulator.make_deleted_business_messages_update(connection, ANNA, [question_id])
        )
        await drained(svc, emulator)
        texts = [m.text for m in await rows(svc, Message)]
        assert texts == ["Есть ли размер XL?", "Я отвечу в рабочее время.", "Да, XL и XXL есть."]
        edited = await rows(svc, LeadEvent, LeadEvent.type == "message_edited")
        assert [(e.actor, e.data["old_text"]) for e in edited] == [
            (f"manager:{owner_id}", "Да, XL есть.")
        ]
        deleted = await rows(svc, LeadEvent, LeadEvent.type == "messages_deleted")
        question = (await rows(svc, Message, Message.direction == "in"))[0]
        assert [e.data["message_ids"] for e in deleted] == [[question.id]]
    # Relayed nowhere: not to her (he wrote it himself), not to his or the head's bot chat.
    assert emulator.sent_messages(ANNA) == []
    assert said_to(emulator, OWNER, "XL есть") == []
    assert said_to(emulator, HEAD, "XL есть") == []


async def test_a_revoked_connection_pings_the_head_exactly_once_and_back_is_normal(
    database_url: str, emulator: TelegramEmulator
) -> None:
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)) as svc:
        connection = await connect(emulator)
        emulator.add_update(emulator.make_business_message_update(connection, ANNA, "Привет"))
        await sent_to(emulator, OWNER, "Привет")
        lead = await only_lead(svc)

        revoked = emulator.make_business_connection_update(
            OWNER, "Ivan", username="ivan_sales", is_enabled=False
        )
        emulator.add_update(revoked)
        await sent_to(emulator, HEAD, "disconnected the bot")
        emulator.add_update(dict(revoked))  # redelivered
        # Telegram says it again in a new update (another right changed): still off.
        emulator.add_update(
            emulator.make_business_connection_update(
                OWNER, "Ivan", username="ivan_sales", is_enabled=False
            )
        )
        await drained(svc, emulator)
        pings = said_to(emulator, HEAD, "disconnected the bot")
        assert len(pings) == 1
        assert "Ivan (@ivan_sales)" in text_of(pings[0])
        assert "Settings → Telegram Business → Chatbots" in text_of(pings[0])

        # A reply through the bot now: Telegram refuses it, and Ivan hears why.
        await reply_through_bot(emulator, lead.id, "Здравствуйте!")
        await sent_to(emulator, OWNER, "Telegram для бизнеса отключил бота")
        refused = [c for c in emulator.calls_to("sendMessage") if c.chat_id == ANNA]
        assert refused and refused[-1].status == 400
        assert refused[-1].response["description"] == (
            "Bad Request: BUSINESS_CONNECTION_NOT_ALLOWED"
        )

        emulator.add_update(
            emulator.make_business_connection_update(OWNER, "Ivan", username="ivan_sales")
        )
        await sent_to(emulator, HEAD, "connected to the bot again")
        emulator.add_update(
            emulator.make_business_connection_update(OWNER, "Ivan", is_enabled=False)
        )
        await emulator.wait_for(lambda: len(said_to(emulator, HEAD, "disconnected")) == 2)
        await drained(svc, emulator)
        (stored,) = await rows(svc, BusinessConnection)
        assert (stored.id, stored.is_enabled, stored.lost_count) == (connection, False, 2)
    assert len(said_to(emulator, HEAD, "disconnected the bot")) == 2
    assert len(said_to(emulator, HEAD, "connected to the bot again")) == 1


async def test_an_account_whose_owner_is_not_staff_is_distributed_and_the_head_told_once(
    database_url: str, emulator: TelegramEmulator
) -> None:
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)) as svc:
        connection = await connect(emulator, STRANGER, "Shop")
        await sent_to(emulator, HEAD, "its owner is not in the team")
        for customer, question in ((ANNA, "Нужен диван"), (BORIS, "Нужен стол")):
            emulator.add_update(
                emulator.make_business_message_update(connection, customer, question)
            )
        await drained(svc, emulator)

        async def offered() -> bool:
            leads = await rows(svc, Lead)
            return len(leads) == 2 and all(lead.offered_manager_id for lead in leads)

        await wait_until(offered)
        assert len(said_to(emulator, HEAD, "its owner is not in the team")) == 1
        assert "Telegram id 399" in text_of(said_to(emulator, HEAD, "not in the team")[0])


async def test_a_connection_the_bot_never_heard_of_is_fetched_from_telegram(
    database_url: str, emulator: TelegramEmulator
) -> None:
    """The account connected the bot before the bot asked for business updates."""
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)) as svc:
        emulator.make_business_connection_update(OWNER, "Ivan", username="ivan_sales")
        connection = emulator.business_connection_id(OWNER)
        emulator.add_update(emulator.make_business_message_update(connection, ANNA, "Здравствуйте"))
        await sent_to(emulator, OWNER, "Здравствуйте")
        assert (await only_lead(svc)).manager_id == await manager_id(svc, OWNER)
        assert [
            c.params["business_connection_id"] for c in emulator.calls_to("getBusinessConnection")
        ] == [connection]
        # A connection Telegram does not know either: skipped with a log line, nothing kept.
        bogus = emulator.make_business_message_update(connection, BORIS, "Кто здесь?")
        bogus["business_message"]["business_connection_id"] = "BC-unknown"
        emulator.add_update(bogus)
        await drained(svc, emulator)
        async with svc.ctx.db.session_factory() as session:
            assert await session.scalar(select(func.count(Lead.id))) == 1


async def test_business_updates_work_through_the_webhook(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = settings_for(
        database_url,
        emulator,
        telegram_mode="webhook",
        telegram_webhook_url="https://example.invalid/telegram/webhook",
        telegram_webhook_secret="biz-secret",
    )
    async with running_service(settings, parse_config(CONFIG), clock=clock) as svc:
        await emulator.wait_for(lambda: emulator.webhook_url is not None, timeout=15)
        registered = emulator.calls_to("setWebhook")[-1]
        assert BUSINESS_KINDS <= set(registered.params["allowed_updates"])
        url = f"http://127.0.0.1:{svc.port}/telegram/webhook"
        update = emulator.make_business_connection_update(OWNER, "Ivan", username="ivan_sales")
        assert (await emulator.deliver_webhook(update, url=url)).ok
        connection = emulator.business_connection_id(OWNER)
        question = emulator.make_business_message_update(
            connection, ANNA, "Вы работаете в субботу?"
        )
        for _ in range(2):  # redelivered: captured once
            assert (await emulator.deliver_webhook(dict(question), url=url)).ok
        await sent_to(emulator, OWNER, "Вы работаете в субботу?")
        clock.advance(timedelta(minutes=5))
        owner = emulator.make_business_owner_update(connection, ANNA, "Да, до 16:00.")
        assert (await emulator.deliver_webhook(owner, url=url)).ok
        await drained(svc)
        lead = await only_lead(svc)
        assert lead.manager_id == await manager_id(svc, OWNER)
        assert lead.first_response_at == MONDAY_10 + timedelta(minutes=5)
        assert len(await rows(svc, Message)) == 2


async def test_files_go_by_their_file_id_both_ways(
    database_url: str, emulator: TelegramEmulator
) -> None:
    """The account's chat is not the bot's, so nothing is copied from it or into it: a
    customer's photo reaches the owner by its file id, and so does a manager's."""
    async with running_service(settings_for(database_url, emulator), parse_config(CONFIG)) as svc:
        connection = await connect(emulator)
        update = emulator.make_business_message_update(
            connection, ANNA, "Такой диван есть?", photo=True
        )
        emulator.add_update(update)
        await sent_to(emulator, OWNER, "Такой диван есть?")
        customer_file = update["business_message"]["photo"][-1]["file_id"]
        await emulator.wait_for(
            lambda: [c for c in emulator.calls_to("sendPhoto") if c.chat_id == OWNER]
        )
        (copy,) = [c for c in emulator.calls_to("sendPhoto") if c.chat_id == OWNER]
        assert copy.params["photo"] == customer_file
        assert emulator.calls_to("copyMessage") == []

        lead = await only_lead(svc)
        emulator.add_update(
            emulator.make_callback_update(OWNER, lead_button(LeadButton.REPLY, lead.id))
        )
        await sent_to(emulator, OWNER, "Напишите ответ клиенту")
        manager_photo = emulator.make_photo_update(OWNER, "Вот такой, серый")
        emulator.add_update(manager_photo)
        answer = await sent_to(emulator, ANNA, "Вот такой, серый")
        assert answer.method == "sendPhoto"
        assert answer.params["business_connection_id"] == connection
        assert answer.params["photo"] == manager_photo["message"]["photo"][-1]["file_id"]


async def test_the_emulator_refuses_business_sends_as_telegram_does(
    emulator: TelegramEmulator,
) -> None:
    bot = create_bot(TOKEN, emulator.base_url)
    try:
        emulator.make_business_connection_update(OWNER, "Ivan")
        connection = emulator.business_connection_id(OWNER)
        emulator.make_business_message_update(connection, ANNA, "Привет")
        sent = await bot.send_message(ANNA, "Здравствуйте", business_connection_id=connection)
        assert sent.business_connection_id == connection
        assert sent.from_user is not None and sent.from_user.id == OWNER
        assert sent.sender_business_bot is not None
        echo = emulator.pending_updates[-1]["business_message"]
        assert echo["message_id"] == sent.message_id and echo["sender_business_bot"]
        for chat, connection_id, description in (
            (ANNA, "BC-nobody", "BUSINESS_CONNECTION_INVALID"),
            (BORIS, connection, "chat not found"),
        ):
            with pytest.raises(TelegramBadRequest, match=description):
                await bot.send_message(chat, "x", business_connection_id=connection_id)
        emulator.make_business_connection_update(OWNER, "Ivan", can_reply=False)
        with pytest.raises(TelegramBadRequest, match="BUSINESS_CONNECTION_NOT_ALLOWED"):
            await bot.send_message(ANNA, "x", business_connection_id=connection)
        with pytest.raises(TelegramBadRequest, match="BUSINESS_CONNECTION_INVALID"):
            await bot.get_business_connection("BC-nobody")
        fetched = await bot.get_business_connection(connection)
        assert fetched.user.id == OWNER and fetched.is_enabled
    finally:
        await bot.session.close()
