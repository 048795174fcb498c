"""A claimed inbox batch is one transaction: its payloads are stored and relayed in the
order they came, a payload that fails is rolled back and kept failed alone while the
rest of the same batch is committed, and workers are woken only after the commit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from config.business import parse_config
from domain.inbound import InboundMessage, Sender
from storage.models import InboundUpdate, Lead, Message
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from usecases.capture import capture
from usecases.context import AppContext
from usecases.inbox import store_inbound_batch
from workers import inbox as inbox_worker
from workers.inbox import InboxWorker

MANAGER, CUSTOMER = 201, 6101
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    # Rotation: the lead is the manager's at once, so what follows is relayed to him.
    "distribution": {"mode": "rotation"},
    "team": {
        "managers": [
            {"telegram_id": MANAGER, "name": "Julia", "level": "senior", "working_hours": ALWAYS}
        ]
    },
}
FOLLOW_UPS = 20


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
def one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """However slow the machine, a claimed batch is one chunk: one transaction."""
    monkeypatch.setattr(inbox_worker, "CHUNK_SECONDS", 600.0)
    monkeypatch.setattr(inbox_worker, "YIELD_AFTER", 600.0)


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def numbered(prefix: str, calls: list[Call]) -> list[int]:
    return [int(text_of(c).split(prefix)[1].split()[0]) for c in calls if prefix in text_of(c)]


async def inbox_settled(ctx: AppContext) -> bool:
    async with ctx.db.session_factory() as session:
        open_rows = await session.scalar(
            select(func.count())
            .select_from(InboundUpdate)
            .where(InboundUpdate.status.in_(["pending", "processing"]))
        )
    return open_rows == 0


async def test_twenty_messages_in_one_batch_are_stored_and_relayed_in_order(
    database_url: str, emulator: TelegramEmulator, one_chunk: None
) -> None:
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0.01)
    async with running_service(settings, parse_config(CONFIG)) as svc:
        emulator.add_update(emulator.make_text_update(CUSTOMER, "Сколько стоит окно?"))

        def card_sent() -> bool:
            return any("Сколько стоит окно" in text_of(c) for c in emulator.sent_messages(MANAGER))

        await emulator.wait_for(card_sent, timeout=15)
        # Twenty follow-ups stored in one transaction, as one getUpdates answer is: the
        # worker claims them together.
        items = []
        for number in range(1, FOLLOW_UPS + 1):
            update = emulator.make_text_update(CUSTOMER, f"Вопрос №{number} про окна")
            update["update_id"] = 900_000 + number
            items.append((str(update["update_id"]), json.dumps(update, ensure_ascii=False)))
        assert await store_inbound_batch(svc.ctx, "telegram", items) == FOLLOW_UPS

        def all_relayed() -> bool:
            return len(numbered("Вопрос №", emulator.sent_messages(MANAGER))) >= FOLLOW_UPS

        await emulator.wait_for(all_relayed, timeout=30)
        await wait_until(lambda: inbox_settled(svc.ctx), 15)
        async with svc.ctx.db.session_factory() as session:
            stored = list(
                await session.scalars(
                    select(Message.text)
                    .where(Message.direction == "in", Message.text.like("Вопрос №%"))
                    .order_by(Message.id)
                )
            )
            leads = await session.scalar(select(func.count()).select_from(Lead))
            finished = list(
                await session.execute(
                    select(InboundUpdate.status, InboundUpdate.processed_at).where(
                        InboundUpdate.key.in_([key for key, _ in items])
                    )
                )
            )
    expected = list(range(1, FOLLOW_UPS + 1))
    assert [int(text.split("№")[1].split()[0]) for text in stored] == expected
    assert numbered("Вопрос №", emulator.sent_messages(MANAGER)) == expected
    assert leads == 1
    # Claimed together and marked done together.
    assert {status for status, _ in finished} == {"done"}
    assert len({processed_at for _, processed_at in finished}) == 1


async def test_a_malformed_payload_mid_batch_is_kept_failed_and_the_rest_captured(
    database_url: str, emulator: TelegramEmulator, one_chunk: None
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    customers = [6201, 6202, 6203, 6204]
    items = [
        (str(800_000 + index), json.dumps(emulator.make_text_update(chat, f"Клиент {chat}")))
        for index, chat in enumerate(customers[:2])
    ]
    # A message without its required `date`: aiogram's models reject it.
    broken = {"update_id": 800_010, "message": {"message_id": 7, "chat": {"id": 6299}}}
    items.append(("800010", json.dumps(broken)))
    items += [
        (str(800_020 + index), json.dumps(emulator.make_text_update(chat, f"Клиент {chat}")))
        for index, chat in enumerate(customers[2:])
    ]
    async with running_service(settings, parse_config(CONFIG)) as svc:
        assert await store_inbound_batch(svc.ctx, "telegram", items) == 5
        await wait_until(lambda: inbox_settled(svc.ctx), 20)

        def acknowledged() -> bool:
            chats = {int(call.chat_id) for call in emulator.sent_messages()}
            return set(customers) <= chats

        await emulator.wait_for(acknowledged, timeout=15)
        async with svc.ctx.db.session_factory() as session:
            rows = {
                key: (status, error, processed_at)
                for key, status, error, processed_at in await session.execute(
                    select(
                        InboundUpdate.key,
                        InboundUpdate.status,
                        InboundUpdate.error,
                        InboundUpdate.processed_at,
                    )
                )
            }
            texts = set(
                await session.scalars(select(Message.text).where(Message.direction == "in"))
            )
    status, error, _ = rows.pop("800010")
    assert status == "failed" and error and "ValidationError" in error
    assert {status for status, _, _ in rows.values()} == {"done"}
    # The four good ones around it were marked done together, in the same batch.
    assert len({processed_at for _, _, processed_at in rows.values()}) == 1
    assert texts == {f"Клиент {chat}" for chat in customers}
    assert 6299 not in {int(call.chat_id) for call in emulator.sent_messages()}


class _AfterCapture(Exception):
    pass


async def test_a_payload_failing_after_its_capture_is_rolled_back_alone(
    ctx: AppContext, one_chunk: None
) -> None:
    """The failure comes after capture() committed its unit of work: the savepoint, not
    the unit of work, decides, so nothing of that payload stays; its neighbours do."""
    woken: list[str] = []
    ctx.wake = woken.append
    seen_before_commit: list[list[str]] = []

    async def process(payload: str) -> None:
        item = json.loads(payload)
        sender = Sender(external_id=item["from"], chat_id=item["from"])
        inbound = InboundMessage("x", sender, item["id"], text=item["text"])
        await capture(ctx, inbound)
        seen_before_commit.append(list(woken))
        if item.get("fail"):
            raise _AfterCapture("after the capture")

    payloads = [
        {"id": "1", "from": "c1", "text": "первый"},
        {"id": "2", "from": "c2", "text": "второй", "fail": True},
        {"id": "3", "from": "c1", "text": "третий"},
    ]
    await store_inbound_batch(ctx, "x", [(p["id"], json.dumps(p)) for p in payloads])
    woken.clear()
    await InboxWorker(ctx, {"x": process}, "me").run_once()
    async with ctx.db.uow() as uow:
        first = await uow.messages.by_external_id("x", "1")
        second = await uow.messages.by_external_id("x", "2")
        third = await uow.messages.by_external_id("x", "3")
    async with ctx.db.session_factory() as session:
        rows = {
            key: (status, error, next_attempt_at)
            for key, status, error, next_attempt_at in await session.execute(
                select(
                    InboundUpdate.key,
                    InboundUpdate.status,
                    InboundUpdate.error,
                    InboundUpdate.next_attempt_at,
                )
            )
        }
    assert first is not None and third is not None and second is None
    assert first.lead_id == third.lead_id
    assert rows["1"][0] == rows["3"][0] == "done"
    # Settled as a failure: to be retried after a backoff, with its error kept.
    status, error, next_attempt_at = rows["2"]
    assert status == "pending" and next_attempt_at is not None
    assert error and "after the capture" in error
    # Nobody was woken inside the batch; the outbox once, after its commit.
    assert seen_before_commit == [[], [], []]
    assert woken.count("outbox") == 1
