"""MAX over real HTTP: the running service polls the MAX emulator (GET /updates with its
marker) or is subscribed to it and gets updates pushed to POST /max/webhook; it answers
through POST /messages. The manager works the lead in Telegram (the Telegram emulator)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from channels.max.normalise import (
    BadUpdate,
    Skip,
    blocked_from_update,
    check_update,
    edit_from_update,
    inbound_from_update,
    press_from_update,
    survey_score,
    update_key,
)
from channels.max.sender import message_body
from config.business import Config, parse_config
from storage.models import ChannelIdentity, InboundUpdate, Lead, Message, OutboxMessage, Survey
from tests.emulator.max import MaxEmulator
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.scale import free_port
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from usecases.work import Verdict, reply

MAX_TOKEN = "max-bot-token-f9LHodD0cOI"
SECRET = "max_webhook-secret_42"
MANAGER, CUSTOMER = 201, 5550001
ALWAYS = {"mon-sun": "00:00-00:00"}


@pytest.fixture
def config() -> Config:
    # Rotation: the lead is the manager's at once, no accept button to press.
    return parse_config(
        {
            "company": {"name": "Acme", "timezone": "UTC", "working_hours": ALWAYS},
            "distribution": {"mode": "rotation"},
            "team": {
                "managers": [
                    {"telegram_id": MANAGER, "name": "Julia", "language": "ru", "level": "senior"}
                ]
            },
        }
    )


@pytest.fixture
async def max_api() -> AsyncIterator[MaxEmulator]:
    async with MaxEmulator(MAX_TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


def max_settings(
    database_url: str, max_api: MaxEmulator, telegram: TelegramEmulator | None, **extra: Any
):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "max_bot_token": MAX_TOKEN,
        "max_api_base": max_api.base_url,
        "telegram_chat_interval": 0.05,
    }
    values.update(extra)
    return make_settings(database_url, telegram.base_url if telegram else None, **values)


def webhook_settings(database_url: str, max_api: MaxEmulator, telegram: TelegramEmulator | None):  # type: ignore[no-untyped-def]
    port = free_port()
    return max_settings(
        database_url,
        max_api,
        telegram,
        http_port=port,
        max_mode="webhook",
        max_webhook_url=f"http://127.0.0.1:{port}/max/webhook",
        max_webhook_secret=SECRET,
    )


async def rows(service: Any, model: type) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def count(service: Any, model: type) -> int:
    async with service.ctx.db.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


async def card_to_manager(telegram: TelegramEmulator, contains: str) -> Call:
    def found() -> bool:
        return any(contains in text_of(c) for c in telegram.sent_messages(MANAGER))

    await telegram.wait_for(found, timeout=15)
    return next(c for c in telegram.sent_messages(MANAGER) if contains in text_of(c))


async def test_polling_first_message_card_reply_and_a_redelivery(
    database_url: str, max_api: MaxEmulator, telegram: TelegramEmulator, config: Config
) -> None:
    settings = max_settings(database_url, max_api, telegram)
    async with running_service(settings, config) as service:
        assert service.ctx.text_limits["max"] == 4000
        first = max_api.message_created(CUSTOMER, "Здравствуйте! Сколько стоит доставка?")
        await max_api.deliver(first)
        [ack] = await max_api.wait_for_sent(1)
        assert ack.user_id == CUSTOMER and ack.body.get("format") == "html"
        assert "Анна" in ack.text

        card = await card_to_manager(telegram, "Сколько стоит доставка?")
        [lead] = await rows(service, Lead)
        assert (lead.channel, lead.source) == ("max", "max")
        # MAX did not get the marker yet and gives the update again: still one message.
        await max_api.deliver(first)
        await max_api.wait_for(lambda: max_api.pending() == 0)
        await wait_until(lambda: _settled(service))
        assert await count(service, Message) == 1 and await count(service, Lead) == 1

        # The manager presses Reply on the card and writes; the customer gets it in MAX.
        button = card.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        telegram.add_update(telegram.make_callback_update(MANAGER, f"lead:rep:{lead.id}:"))
        await card_to_manager(telegram, "Напишите ответ клиенту")
        telegram.add_update(telegram.make_text_update(MANAGER, "Анна, доставка <b>500 ₽</b>."))
        sent = await max_api.wait_for_sent(2)
        assert sent[-1].user_id == CUSTOMER
        assert "500 ₽" in sent[-1].text and button
        assert all(query.get("types") for query in max_api.polls)

        async def reply_sent() -> bool:
            replies = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
            return bool(replies) and replies[-1].status == "sent"

        await wait_until(reply_sent)
        replies = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
        assert replies[-1].external_id == sent[-1].mid
    # The token went in the Authorization header, never in a URL.
    assert all("access_token" not in query for _, _, query in max_api.calls)


async def _settled(service: Any) -> bool:
    return all(row.status == "done" for row in await rows(service, InboundUpdate))


async def test_webhook_subscribes_redelivery_is_one_message_wrong_secret_is_refused(
    database_url: str, max_api: MaxEmulator, telegram: TelegramEmulator, config: Config
) -> None:
    settings = webhook_settings(database_url, max_api, telegram)
    async with running_service(settings, config) as service:
        # The subscription is made in the background once the service is up.
        await telegram.wait_for(lambda: max_api.subscriptions, timeout=15)
        [subscription] = max_api.subscriptions
        assert subscription.url == settings.max_webhook_url and subscription.secret == SECRET
        assert set(subscription.update_types or []) >= {"message_created", "bot_started"}
        url = subscription.url
        async with aiohttp.ClientSession() as http:
            update = max_api.message_created(CUSTOMER, "Нужна консультация по тарифам")
            for headers, status in (
                ({}, 401),
                ({"X-Max-Bot-Api-Secret": "wrong-secret"}, 403),
            ):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == status
            assert await count(service, InboundUpdate) == 0
            for body in (b"{oops", b"[]", b'{"update_type": "message_created"}'):
                async with http.post(
                    url, data=body, headers={"X-Max-Bot-Api-Secret": SECRET}
                ) as response:
                    assert response.status == 400, body
            assert await count(service, InboundUpdate) == 0

        assert await max_api.deliver(update) == [200]
        assert await max_api.deliver(update) == [200]  # MAX redelivers: nothing doubles
        await max_api.wait_for_sent(1)
        await card_to_manager(telegram, "Нужна консультация по тарифам")
        await wait_until(lambda: _settled(service))
        assert await count(service, InboundUpdate) == 1
        assert await count(service, Message) == 1 and await count(service, Lead) == 1
        assert max_api.polls == []  # webhook mode never polls


async def test_bot_started_payload_is_the_lead_source_and_bot_stopped_blocks(
    database_url: str, max_api: MaxEmulator, config: Config
) -> None:
    async with running_service(max_settings(database_url, max_api, None), config) as service:
        await max_api.deliver(max_api.bot_started(CUSTOMER, "autumn_sale"))
        [welcome] = await max_api.wait_for_sent(1)
        assert welcome.user_id == CUSTOMER
        assert await count(service, Lead) == 0  # a bare start is no question
        await max_api.deliver(max_api.message_created(CUSTOMER, "Хочу заказать окна"))
        await max_api.wait_for_sent(2)
        [lead] = await rows(service, Lead)
        assert lead.source == "autumn_sale"

        await max_api.deliver(max_api.bot_stopped(CUSTOMER))

        async def blocked() -> bool:
            return (await rows(service, ChannelIdentity))[0].blocked_at is not None

        await wait_until(blocked)


async def test_a_429_is_retried_after_its_retry_after_and_edits_apply(
    database_url: str, max_api: MaxEmulator, config: Config
) -> None:
    max_api.fail_next(429, "too.many.requests", "Too many requests", retry_after=1)
    async with running_service(max_settings(database_url, max_api, None), config) as service:
        first = max_api.message_created(CUSTOMER, "Есть ли скидки?")
        await max_api.deliver(first)
        [ack] = await max_api.wait_for_sent(1, timeout=20)
        assert ack.user_id == CUSTOMER
        sends = [c for c in max_api.calls if c[:2] == ("POST", "/messages")]
        assert len(sends) == 2  # the 429 and the retry

        await max_api.deliver(max_api.message_edited(first, "Есть ли скидки для пенсионеров?"))

        async def edited() -> bool:
            [message] = await rows(service, Message)
            return message.text == "Есть ли скидки для пенсионеров?"

        await wait_until(edited)
        # A reply longer than MAX's 4,000 characters arrives as several messages, in order.
        paragraphs = [
            f"Абзац {n}: " + " ".join(["условия поставки и оплаты."] * 30) for n in range(10)
        ]
        long_reply = "\n\n".join(paragraphs)
        [lead] = await rows(service, Lead)
        assert await reply(service.ctx, lead.id, MANAGER, long_reply) == Verdict.DONE
        await max_api.wait_for(lambda: any("Абзац 9" in s.text for s in max_api.sent))
        parts = max_api.sent[1:]
        assert len(parts) == 3 and all(len(part.text) <= 4000 for part in parts)
        assert "\n\n".join(part.text for part in parts) == long_reply


async def test_a_survey_button_is_answered_through_answers(
    database_url: str, max_api: MaxEmulator, config: Config
) -> None:
    async with running_service(max_settings(database_url, max_api, None), config) as service:
        await max_api.deliver(max_api.message_created(CUSTOMER, "Вопрос"))
        await max_api.wait_for_sent(1)
        [lead] = await rows(service, Lead)
        async with service.ctx.db.session_factory() as session:
            survey = Survey(lead_id=lead.id, contact_id=lead.contact_id, created_at=lead.created_at)
            session.add(survey)
            await session.commit()
            survey_id = survey.id
        # A forged staff button from a customer changes nothing and is not answered.
        await max_api.deliver(max_api.message_callback(CUSTOMER, f"lead:won:{lead.id}:"))
        await max_api.deliver(max_api.message_callback(CUSTOMER, f"srv:{survey_id}:5"))
        await max_api.wait_for(lambda: len(max_api.answers) == 1)
        [(callback_id, answer)] = max_api.answers
        assert callback_id.startswith("cb.") and answer["notification"]
        [survey] = await rows(service, Survey)
        assert survey.score == 5
        assert (await rows(service, Lead))[0].status == lead.status


def test_outbox_payloads_become_max_message_bodies() -> None:
    body = message_body(
        {
            "text": "Оцените нас",
            "parse_mode": "HTML",
            "buttons": [
                [{"text": "⭐", "callback_data": "srv:1:1"}],
                [{"text": "Сайт", "url": "https://a.example"}],
            ],
            "keyboard": {"request_phone": "Поделиться номером"},
        }
    )
    assert body["format"] == "html"
    [keyboard] = body["attachments"]
    assert keyboard["type"] == "inline_keyboard"
    assert [[b["type"] for b in row] for row in keyboard["payload"]["buttons"]] == [
        ["callback"],
        ["link"],
        ["request_contact"],
    ]
    assert len(message_body({"text": "я" * 5000})["text"]) == 4000
    assert message_body({"text": "plain"}) == {"text": "plain"}


def test_updates_map_to_the_inbound_shape_and_keys() -> None:
    factory = MaxEmulator(MAX_TOKEN)
    update = factory.message_created(
        CUSTOMER,
        "  Вот фото и номер ",
        attachments=[
            {"type": "image", "payload": {"photo_id": 7, "token": "t", "url": "https://i/1"}},
            {
                "type": "file",
                "payload": {"token": "f", "url": "https://f"},
                "filename": "a.pdf",
                "size": 10,
            },
            {
                "type": "audio",
                "payload": {"token": "a", "url": "https://a"},
                "transcription": "алло",
            },
            {"type": "video", "payload": {"token": "v", "url": "https://v"}, "duration": 3},
            {
                "type": "sticker",
                "payload": {"code": "s1", "url": "https://s"},
                "width": 1,
                "height": 1,
            },
            {"type": "location", "latitude": 55.75, "longitude": 37.61},
            {
                "type": "contact",
                "payload": {
                    "vcf_info": "BEGIN:VCARD\nTEL;TYPE=cell:8 (916) 123-45-67\nEND:VCARD",
                    "max_info": None,
                },
            },
            {"type": "inline_keyboard", "payload": {"buttons": []}},
        ],
    )
    inbound = inbound_from_update(check_update(update))
    assert inbound.text == "Вот фото и номер" and inbound.sender.language == "ru"
    assert inbound.sender.chat_id == str(CUSTOMER) and inbound.sender.phone == "+79161234567"
    assert [a.kind for a in inbound.attachments] == [
        "photo", "document", "audio", "video", "sticker", "location", "contact",
    ]  # fmt: skip
    assert inbound.attachments[1].file_name == "a.pdf"
    assert update_key(update) == f"m:{update['message']['body']['mid']}"
    assert update_key(update) == update_key(json.loads(json.dumps(update)))
    edit = factory.message_edited(update, "new")
    assert update_key(edit).startswith("e:") and update_key(edit) != update_key(update)
    start = factory.bot_started(CUSTOMER, "promo")
    assert inbound_from_update(start).is_start and inbound_from_update(start).source == "promo"
    for skipped in (
        factory.message_created(CUSTOMER, "в группе", chat_type="chat"),
        factory.message_created(CUSTOMER, "   "),
        {**update, "message": {**update["message"], "sender": {"user_id": 1, "is_bot": True}}},
    ):
        with pytest.raises(Skip):
            inbound_from_update(skipped)
    for bad in ([], {"update_type": "x"}, {"timestamp": 1}, {"update_type": "", "timestamp": 1}):
        with pytest.raises(BadUpdate):
            check_update(bad)
    assert survey_score("srv:12:4") == (12, 4) and survey_score("lead:won:1:") is None


async def test_random_updates_never_break_the_processor() -> None:
    """What MAX might send that we do not expect is skipped or refused, never a crash."""
    factory = MaxEmulator(MAX_TOKEN)
    shapes: list[Any] = [
        {"update_type": "message_created", "timestamp": 1, "message": None},
        {"update_type": "message_created", "timestamp": 1, "message": {"body": {"mid": 5}}},
        {"update_type": "bot_started", "timestamp": 1, "user": "x"},
        {"update_type": "message_callback", "timestamp": 1, "callback": {}},
        {"update_type": "bot_stopped", "timestamp": 1},
        factory.message_created(CUSTOMER, None, attachments=[{"type": "location"}, 5, {"no": 1}]),
    ]
    for shape in shapes:
        update = check_update(shape)
        update_key(update)
        for parse in (
            inbound_from_update,
            edit_from_update,
            blocked_from_update,
            press_from_update,
        ):
            try:
                parse(update)
            except Skip:
                pass
