"""End to end: the real aiogram bot polls the Bot API emulator over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import func, select

from config.business import Config
from storage.models import ChannelIdentity, Contact, InboundUpdate, Lead, Message
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def wait_until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await predicate():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def inbox_drained(service) -> None:  # type: ignore[no-untyped-def]
    async def drained() -> bool:
        async with service.ctx.db.uow() as uow:
            return await uow.inbox.pending_count() == 0

    await wait_until(drained)


async def test_three_customers_become_three_leads_each_acknowledged_once(
    database_url: str, emulator: TelegramEmulator, config: Config
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config) as service:
        emulator.add_update(
            emulator.make_text_update(1001, "Сколько стоит окно?", first_name="Анна")
        )
        emulator.add_update(emulator.make_photo_update(1002, caption="Вот такое окно"))
        emulator.add_update(
            emulator.make_contact_update(1003, "+7 900 123-45-67", first_name="Пётр")
        )
        emulator.add_update(
            emulator.make_text_update(
                1004, "1 < 2 & 3 > 2", first_name="<b>&Co", language_code="en"
            )
        )
        await emulator.wait_for_sent(4, timeout=10)
        # A second message from the first customer joins his lead and gets no new ack.
        emulator.add_update(emulator.make_text_update(1001, "И ещё подоконник", first_name="Анна"))

        async def all_stored() -> bool:
            async with service.ctx.db.session_factory() as session:
                return (await session.scalar(select(func.count(Message.id)))) == 5

        await wait_until(all_stored)
        await asyncio.sleep(0.5)

        async with service.ctx.db.session_factory() as session:
            leads = list(await session.scalars(select(Lead).order_by(Lead.id)))
            contacts = {c.id: c for c in await session.scalars(select(Contact))}
            messages = list(await session.scalars(select(Message).order_by(Message.id)))
            identities = list(await session.scalars(select(ChannelIdentity)))

    assert len(leads) == 4
    assert {identity.external_id for identity in identities} == {"1001", "1002", "1003", "1004"}
    by_user = {identity.external_id: contacts[identity.contact_id] for identity in identities}
    assert by_user["1003"].phone == "+79001234567"
    assert by_user["1004"].display_name == "<b>&Co"
    photo = next(m for m in messages if m.attachments)
    assert photo.text == "Вот такое окно" and photo.attachments[0]["kind"] == "photo"
    assert messages[-1].text == "И ещё подоконник" and messages[-1].lead_id == leads[0].id

    acks = emulator.sent_messages()
    assert sorted(int(call.params["chat_id"]) for call in acks) == [1001, 1002, 1003, 1004]
    english = next(call for call in acks if int(call.params["chat_id"]) == 1004)
    assert "&lt;b&gt;&amp;Co" in english.params["text"]
    assert english.params["text"].startswith("Thank you")
    # Every send was accepted: no parse errors from customer names or texts.
    assert all(call.status == 200 for call in emulator.calls if call.method == "sendMessage")


async def test_redelivered_update_creates_nothing_new(
    database_url: str, emulator: TelegramEmulator, config: Config
) -> None:
    update = emulator.make_text_update(2001, "Нужна консультация")
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config) as service:
        emulator.add_update(update)
        await emulator.wait_for_sent(1)
    # Telegram redelivers the same update (e.g. the offset was never confirmed).
    emulator.add_update(dict(update))
    async with running_service(settings, config) as service:
        await asyncio.sleep(1.0)
        async with service.ctx.db.session_factory() as session:
            assert await session.scalar(select(func.count(Message.id))) == 1
            assert await session.scalar(select(func.count(Lead.id))) == 1
    assert len(emulator.sent_messages()) == 1


async def test_webhook_rejects_wrong_secret_and_malformed_bodies_and_dedupes(
    database_url: str, emulator: TelegramEmulator, config: Config
) -> None:
    settings = make_settings(
        database_url,
        emulator.base_url,
        telegram_mode="webhook",
        telegram_webhook_url="https://example.invalid/telegram/webhook",
        telegram_webhook_secret="s3cret",
    )
    async with running_service(settings, config) as service:
        url = f"http://127.0.0.1:{service.port}/telegram/webhook"
        good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        update = emulator.make_text_update(3001, "Добрый день")
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}
            ) as r:
                assert r.status == 401
            async with http.post(url, json=update) as r:
                assert r.status == 401
            for body in (
                b"not json",
                b"[1, 2]",
                b'{"update_id": "x"}',
            ):
                async with http.post(url, data=body, headers=good) as r:
                    assert r.status == 400, body
                    assert "error" in await r.json()
            # An update aiogram's models reject is still an update: stored and answered 200
            # (else Telegram redelivers it for ever), then kept as failed by the worker.
            async with http.post(url, data=b'{"update_id": 1, "message": 5}', headers=good) as r:
                assert r.status == 200
            async with http.post(url, data=b"x" * (2 * 1024 * 1024), headers=good) as r:
                assert r.status == 413
            for _ in range(2):
                async with http.post(url, json=update, headers=good) as r:
                    assert r.status == 200
        await inbox_drained(service)
        async with service.ctx.db.session_factory() as session:
            assert await session.scalar(select(func.count(Message.id))) == 1
            # Stored once, though posted twice; the malformed one kept as failed.
            rows = (await session.execute(select(InboundUpdate.key, InboundUpdate.status))).all()
            assert sorted(rows) == sorted([("1", "failed"), (str(update["update_id"]), "done")])
    webhook_calls = [call for call in emulator.calls if call.method == "setWebhook"]
    assert webhook_calls and webhook_calls[0].params["secret_token"] == "s3cret"


async def test_corpus_updates_are_all_accepted(
    database_url: str, emulator: TelegramEmulator, config: Config, corpus
) -> None:
    import json

    settings = make_settings(
        database_url,
        emulator.base_url,
        telegram_mode="webhook",
        telegram_webhook_url="https://example.invalid/telegram/webhook",
        telegram_webhook_secret="corpus-secret",
    )
    files = sorted(corpus.glob("tg_*.json"))
    assert files
    async with running_service(settings, config) as service:
        url = f"http://127.0.0.1:{service.port}/telegram/webhook"
        async with aiohttp.ClientSession() as http:
            for index, path in enumerate(files):
                body = json.loads(path.read_text())
                # The official samples share update_id 10000: give each its own.
                body["update_id"] = 500000 + index
                secret = {"X-Telegram-Bot-Api-Secret-Token": "corpus-secret"}
                async with http.post(url, json=body, headers=secret) as response:
                    assert response.status == 200, (path.name, await response.text())
        await inbox_drained(service)
        async with service.ctx.db.session_factory() as session:
            messages = list(await session.scalars(select(Message)))
            statuses = list(await session.scalars(select(InboundUpdate.status)))
    # Every payload was stored and processed; none failed.
    assert statuses == ["done"] * len(files)
    captured = {m.external_id for m in messages}
    # Private messages become leads; groups, service messages and unknown kinds do not.
    assert "1111111:1365" in captured  # /start without chat.type
    assert "12345678:56006" in captured  # shared contact
    assert not any(key.startswith("-") for key in captured)


async def test_polling_an_update_the_models_reject_fails_alone_and_the_rest_flow_on(
    database_url: str, emulator: TelegramEmulator, config: Config
) -> None:
    """One update aiogram cannot parse, between good ones in one getUpdates batch: it is
    kept as failed with its error; the good ones, and later customers, are answered."""
    emulator.add_update(emulator.make_text_update(2001, "Первый вопрос"))
    # A message without its required `date`: no repair makes it valid.
    emulator.add_update(
        {"message": {"message_id": 1, "chat": {"id": 2004, "type": "private"}, "text": "x"}}
    )
    emulator.add_update(emulator.make_text_update(2002, "Второй вопрос"))
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config) as service:
        await emulator.wait_for_sent(2, timeout=15)
        emulator.add_update(emulator.make_text_update(2003, "А я новый клиент"))
        await emulator.wait_for_sent(3, timeout=15)
        await inbox_drained(service)
        async with service.ctx.db.session_factory() as session:
            rows = (await session.execute(select(InboundUpdate.status, InboundUpdate.error))).all()
    assert sorted(status for status, _ in rows) == ["done", "done", "done", "failed"]
    error = next(error for status, error in rows if status == "failed")
    assert error and "ValidationError" in error
    answered = {int(call.params["chat_id"]) for call in emulator.sent_messages()}
    assert answered == {2001, 2002, 2003}
    # The batch was confirmed: the three updates queued before the start came in one call.
    polls = [call for call in emulator.calls if call.method == "getUpdates"]
    assert polls[0].response and len(polls[0].response["result"]) == 3


async def test_a_customer_typing_any_staff_command_gets_the_staff_only_answer(
    database_url: str, emulator: TelegramEmulator, config: Config
) -> None:
    from handlers.telegram.customer import STAFF_COMMANDS
    from texts import Texts

    assert {"report", "complaints", "merge", "leads", "team"} <= set(STAFF_COMMANDS)
    customer = 2_500
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config) as service:
        for command in STAFF_COMMANDS:
            emulator.add_update(emulator.make_text_update(customer, f"/{command} 1"))
        await emulator.wait_for_sent(len(STAFF_COMMANDS), timeout=20)
        await inbox_drained(service)
        async with service.ctx.db.session_factory() as session:
            captured = await session.scalar(select(func.count(Message.id)))
            leads = await session.scalar(select(func.count(Lead.id)))
    expected = str(Texts().get("customer_only", "ru"))
    answers = [call.params["text"] for call in emulator.sent_messages(customer)]
    assert answers == [expected] * len(STAFF_COMMANDS)
    assert (captured, leads) == (0, 0), "a staff command was captured as a lead message"
