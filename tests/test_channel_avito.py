"""Avito over real HTTP: the running service takes a client_credentials token from the
Avito emulator, subscribes POST /avito/webhook (with the secret in the address), and the
emulator pushes buyers' messages there; answers go back through the Messenger API. The
manager works the lead in Telegram (the Telegram emulator)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from channels.avito.api import AvitoApi
from config.business import Config, parse_config
from domain.clock import ManualClock
from storage.models import InboundUpdate, Lead, Message, OutboxMessage
from tests.emulator.avito import AvitoEmulator
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.scale import free_port
from tests.support.service import API_TOKEN, TOKEN, make_settings, running_service, wait_until
from usecases.assignment import Verdict
from usecases.second_try import second_try
from usecases.work import close, reply

CLIENT_ID, CLIENT_SECRET = "avito-client-id-7Qx", "avito-client-secret-0pLm"
SECRET = "avito_webhook-secret_3f9a2c"
JULIA, PETR, BUYER = 201, 202, 5550001
ALWAYS = {"mon-sun": "00:00-00:00"}
PHOTO = b"\xff\xd8\xff\xe0 an Avito test photo \xff\xd9"


def team(*managers: int) -> Config:
    # Rotation: the lead is the manager's at once, no accept button to press.
    names = {JULIA: "Julia", PETR: "Petr"}
    return parse_config(
        {
            "company": {"name": "Acme", "timezone": "UTC", "working_hours": ALWAYS},
            "distribution": {"mode": "rotation"},
            "team": {
                "managers": [
                    {"telegram_id": m, "name": names[m], "language": "ru", "level": "senior"}
                    for m in managers
                ]
            },
        }
    )


@pytest.fixture
async def avito() -> AsyncIterator[AvitoEmulator]:
    async with AvitoEmulator(CLIENT_ID, CLIENT_SECRET) as emulator:
        yield emulator


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


def avito_settings(database_url: str, avito: AvitoEmulator, telegram: TelegramEmulator | None):  # type: ignore[no-untyped-def]
    port = free_port()
    return make_settings(
        database_url,
        telegram.base_url if telegram else None,
        http_port=port,
        telegram_chat_interval=0.05,
        avito_client_id=CLIENT_ID,
        avito_client_secret=CLIENT_SECRET,
        avito_api_base=avito.base_url,
        avito_webhook_url=f"http://127.0.0.1:{port}/avito/webhook?secret={SECRET}",
    )


async def rows(service: Any, model: type) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def count(service: Any, model: type, *where: Any) -> int:
    async with service.ctx.db.session_factory() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int(await session.scalar(query) or 0)


async def settled(service: Any) -> bool:
    return all(row.status == "done" for row in await rows(service, InboundUpdate))


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


async def told(telegram: TelegramEmulator, chat: int, contains: str) -> Call:
    def found() -> bool:
        return any(contains in text_of(c) for c in telegram.sent_messages(chat))

    await telegram.wait_for(found, timeout=15)
    return next(c for c in telegram.sent_messages(chat) if contains in text_of(c))


async def subscribed(avito: AvitoEmulator) -> str:
    await avito.wait_for(lambda: avito.subscriptions, what="the webhook subscription")
    [url] = avito.subscriptions
    return url


async def test_a_buyer_opens_a_lead_from_the_listing_and_the_answers_reach_his_chat(
    database_url: str, avito: AvitoEmulator, telegram: TelegramEmulator
) -> None:
    item = avito.listing("Диван угловой «Верона», новый")
    settings = avito_settings(database_url, avito, telegram)
    async with running_service(settings, team(JULIA)) as service:
        url = await subscribed(avito)
        assert url == settings.avito_webhook_url
        event = avito.buyer_writes(BUYER, item, "Здравствуйте! Диван ещё продаётся?")
        chat_id = event["payload"]["value"]["chat_id"]
        assert await avito.deliver(event) == [200]
        [ack] = await avito.wait_for_sent(1)
        assert ack.chat_id == chat_id and "Анна" in ack.text and "<" not in ack.text

        # The manager's card names the listing: its title and its link.
        card = await told(telegram, JULIA, "Диван ещё продаётся?")
        listing = avito.listings[item]
        assert listing.title in text_of(card) and listing.url in text_of(card)
        [lead] = await rows(service, Lead)
        assert lead.channel == "avito" and listing.url in lead.source

        # Avito delivers the event again, and echoes our acknowledgement: still one
        # customer message.
        assert await avito.deliver(event) == [200]
        await avito.wait_for(lambda: len(avito.deliveries) >= 3, what="the echo")
        await wait_until(lambda: settled(service))
        assert await count(service, Message, Message.direction == "in") == 1
        assert await count(service, Lead) == 1

        # He presses Reply and writes; then sends a photo with a caption.
        telegram.add_update(telegram.make_callback_update(JULIA, f"lead:rep:{lead.id}:"))
        await told(telegram, JULIA, "Напишите ответ клиенту")
        telegram.add_update(
            telegram.make_text_update(JULIA, "Да, в наличии. Доставка <b>завтра</b>.")
        )
        await avito.wait_for_sent(2)
        assert avito.sent[-1].text == "Да, в наличии. Доставка <b>завтра</b>."
        telegram.add_update(telegram.make_callback_update(JULIA, f"lead:rep:{lead.id}:"))
        await told(telegram, JULIA, "Напишите ответ клиенту")
        telegram.add_update(telegram.make_photo_update(JULIA, caption="Вот он", data=PHOTO))
        await avito.wait_for_sent(4)
        photo, caption = avito.sent[2:4]
        assert (photo.kind, photo.image, photo.chat_id) == ("image", PHOTO, chat_id)
        assert (caption.kind, caption.text) == ("text", "Вот он")

        async def replies_sent() -> bool:
            found = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
            return len(found) == 3 and all(r.status == "sent" for r in found)

        await wait_until(replies_sent)
        # Our own messages came back through the webhook: none is a customer's.
        await wait_until(lambda: settled(service))
        assert await count(service, Message, Message.direction == "in") == 1
    assert avito.refused_calls == 0 and avito.token_requests == 1


async def test_a_wrong_secret_is_refused_and_nothing_is_stored(
    database_url: str, avito: AvitoEmulator
) -> None:
    item = avito.listing("Велосипед горный")
    async with running_service(avito_settings(database_url, avito, None), team(JULIA)) as service:
        url = await subscribed(avito)
        bare = url.split("?")[0]
        event = avito.buyer_writes(BUYER, item, "Можно посмотреть сегодня?")
        async with aiohttp.ClientSession() as http:
            for address, status in (
                (bare, 401),
                (f"{bare}?secret=", 401),
                (f"{bare}?secret=wrong-secret-of-some-length", 403),
                (f"{bare}?token={SECRET}", 401),
            ):
                async with http.post(address, json=event) as response:
                    assert response.status == status, address
            for body in (b"{oops", b"[]", b'{"payload": 1}', b'{"payload": {"value": {}}}'):
                async with http.post(url, data=body) as response:
                    assert response.status == 400, body
            # Avito's own check of the address: answered, not kept.
            async with http.post(url, data=b"{}") as response:
                assert response.status == 200
        assert await count(service, InboundUpdate) == 0
        assert await count(service, Message) == 0
        assert await avito.deliver(event) == [200]
        await avito.wait_for_sent(1)
        assert await count(service, InboundUpdate) >= 1


async def test_a_manager_cannot_write_first_on_avito(
    database_url: str, avito: AvitoEmulator, telegram: TelegramEmulator
) -> None:
    """A lost Avito customer handed to another manager (the product's own second try) is a
    conversation the customer did not open: Avito lets the seller only answer."""
    item = avito.listing("Шкаф-купе 180 см")
    settings = avito_settings(database_url, avito, telegram)
    async with running_service(settings, team(JULIA, PETR)) as service:
        await subscribed(avito)
        await avito.deliver(avito.buyer_writes(BUYER, item, "Какая глубина у шкафа?"))
        await avito.wait_for_sent(1)
        await wait_until(lambda: _assigned(service))
        [lost] = await rows(service, Lead)
        holder = JULIA if lost.manager_id == (await _manager_id(service, JULIA)) else PETR
        other = PETR if holder == JULIA else JULIA
        reason = service.ctx.config.loss_reasons[0]
        assert await close(service.ctx, lost.id, holder, "lost", reason=reason) == Verdict.DONE
        async with service.ctx.db.uow() as uow:
            made = await second_try(service.ctx, uow, await uow.leads.get(lost.id))
            assert made is not None
            again = made.id
            await uow.commit()
        service.ctx.wake("distribute")
        await wait_until(lambda: _assigned(service, again))

        telegram.add_update(telegram.make_callback_update(other, f"lead:rep:{again}:"))
        refusal = await told(telegram, other, "Авито разрешает продавцу только отвечать")
        assert "первым написать клиенту там нельзя" in text_of(refusal)
        toasts = [c for c in telegram.calls_to("answerCallbackQuery") if c.params.get("text")]
        assert any("только отвечать" in str(c.params["text"]) for c in toasts)
        assert await reply(service.ctx, again, other, "Добрый день!") is Verdict.ANSWER_ONLY

        manager_id = await _manager_id(service, other)
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{service.port}/api/leads/{again}/replies",
                json={"text": "Добрый день!"},
                headers={
                    "Authorization": f"Bearer {API_TOKEN}",
                    "X-Leadkeeper-Manager": str(manager_id),
                },
            ) as response:
                assert response.status == 409
                assert "only answer" in (await response.json())["error"]
        assert len(avito.sent) == 1  # the acknowledgement of the buyer's own message, only
        assert not [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]


async def _manager_id(service: Any, telegram_id: int) -> int:
    async with service.ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        assert manager is not None
        return int(manager.id)


async def _assigned(service: Any, lead_id: int | None = None) -> bool:
    leads = await rows(service, Lead)
    return any(lead.manager_id is not None and lead_id in (None, lead.id) for lead in leads)


async def test_an_expired_token_is_renewed_and_the_answer_still_goes_out(
    database_url: str, avito: AvitoEmulator, telegram: TelegramEmulator
) -> None:
    item = avito.listing("Коляска прогулочная")
    settings = avito_settings(database_url, avito, telegram)
    async with running_service(settings, team(JULIA)) as service:
        await subscribed(avito)
        await avito.deliver(avito.buyer_writes(BUYER, item, "Торг уместен?"))
        await avito.wait_for_sent(1)
        await wait_until(lambda: _assigned(service))
        [lead] = await rows(service, Lead)
        # Avito stops taking the token before its time (rotated on its side): one 401,
        # a new token, the same call again.
        avito.expire_tokens()
        assert await reply(service.ctx, lead.id, JULIA, "Да, немного.") is Verdict.DONE
        await avito.wait_for_sent(2)
        assert avito.sent[-1].text == "Да, немного."
        assert (avito.refused_calls, avito.token_requests) == (1, 2)
        # A 429 is waited out (Retry-After) and the answer goes all the same.
        avito.fail_next(429, "Too Many Requests", retry_after=1)
        assert await reply(service.ctx, lead.id, JULIA, "Жду звонка.") is Verdict.DONE
        await avito.wait_for_sent(3, timeout=20)
        assert avito.sent[-1].text == "Жду звонка."
        await told(telegram, JULIA, "доставлен клиенту")


async def test_keys_refused_twice_fail_the_answer_with_a_clear_fate(
    database_url: str,
    avito: AvitoEmulator,
    telegram: TelegramEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = avito.listing("Стиральная машина")
    settings = avito_settings(database_url, avito, telegram)
    async with running_service(settings, team(JULIA)) as service:
        await subscribed(avito)
        await avito.deliver(avito.buyer_writes(BUYER, item, "Гарантия есть?"))
        await avito.wait_for_sent(1)
        await wait_until(lambda: _assigned(service))
        [lead] = await rows(service, Lead)
        avito.revoke()
        with caplog.at_level(logging.ERROR, logger="channels.avito.api"):
            assert await reply(service.ctx, lead.id, JULIA, "Есть, год.") is Verdict.DONE
            fate = await told(telegram, JULIA, "не доставлен")
        assert "канал не принял ключи доступа бота" in text_of(fate)
        assert "администратору" in text_of(fate)
        assert any("AVITO_CLIENT_SECRET" in r.getMessage() for r in caplog.records)
        [row] = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
        assert row.status == "failed"
        assert len(avito.sent) == 1


async def test_the_token_is_renewed_before_it_expires(avito: AvitoEmulator) -> None:
    """By the service's clock, some minutes before `expires_in` runs out: no 401 needed."""
    avito.token_lifetime = 3600
    clock = ManualClock()
    api = AvitoApi(avito.base_url, CLIENT_ID, CLIENT_SECRET, clock)
    try:
        assert await api.own_id() == avito.account_id
        first = await api.token()
        clock.advance(timedelta(minutes=50))
        assert await api.token() == first
        clock.advance(timedelta(minutes=6))
        assert await api.token() != first
        assert await api.subscriptions() == []
        assert (avito.token_requests, avito.refused_calls) == (2, 0)
    finally:
        await api.close()
