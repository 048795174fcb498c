"""The team and the helpers of the next-step tests: a head, a senior manager who gets
every lead (the class wants a senior), a junior who may press buttons he should not, the
team in Moscow time; waiting for what the bot says and answers, and for the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from config.business import Config, parse_config
from storage.models import OutboxMessage
from tests.emulator.telegram import TelegramEmulator

HEAD, SERGEY, JULIA = 900, 101, 102
ANNA, BORIS, VERA = 5001, 5002, 5003
# Monday 10:00 UTC is 13:00 in Moscow.
MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ALWAYS = {"mon-sun": "00:00-00:00"}


def step_config(**next_steps: Any) -> Config:
    return parse_config(
        {
            "company": {"timezone": "Europe/Moscow", "working_hours": ALWAYS},
            "sla": {
                "first_response": "5d",
                "first_response_reminder": "4d",
                "accept_timeout": "1d",
            },
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Ольга"}],
                "managers": [
                    {
                        "telegram_id": SERGEY,
                        "name": "Сергей",
                        "level": "senior",
                        "working_hours": ALWAYS,
                    },
                    {
                        "telegram_id": JULIA,
                        "name": "Юлия",
                        "level": "junior",
                        "working_hours": ALWAYS,
                    },
                ],
            },
            "lead_classes": [{"name": "standard", "min_level": "senior"}],
            "next_steps": {
                "remind_after": "30m",
                "head_after": "2h",
                "overdue_grace": "1h",
                **next_steps,
            },
        }
    )


def texts_to(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in emulator.shown(chat)]


def count(emulator: TelegramEmulator, chat: int, contains: str) -> int:
    return sum(contains in text for text in texts_to(emulator, chat))


async def said(emulator: TelegramEmulator, chat: int, contains: str, times: int = 1) -> str:
    """The latest message to `chat` containing `contains`, once there are `times` of them."""
    try:
        await emulator.wait_for(lambda: count(emulator, chat, contains) >= times, timeout=10)
    except AssertionError:
        raise AssertionError(
            f"{chat} never got {contains!r}: {texts_to(emulator, chat)[-4:]}"
        ) from None
    return [text for text in texts_to(emulator, chat) if contains in text][-1]


def buttons_in(emulator: TelegramEmulator, chat: int, contains: str) -> list[str]:
    call = [c for c in emulator.shown(chat) if contains in str(c.params.get("text", ""))][-1]
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def press(emulator: TelegramEmulator, user: int, data: str) -> str:
    """Press a button as `user`; the toast the bot answered it with."""
    update = emulator.make_callback_update(user, data)
    emulator.add_update(update)
    query_id = update["callback_query"]["id"]

    def answered() -> list[Any]:
        return [
            call
            for call in emulator.calls_to("answerCallbackQuery")
            if call.params.get("callback_query_id") == query_id
        ]

    await emulator.wait_for(lambda: bool(answered()), timeout=10)
    return str(answered()[0].params.get("text", ""))


async def write(emulator: TelegramEmulator, user: int, text: str, reply: str) -> str:
    """`user` writes `text`; the next message to him containing `reply`."""
    before = count(emulator, user, reply)
    emulator.add_update(emulator.make_text_update(user, text))
    return await said(emulator, user, reply, times=before + 1)


async def outbox_idle(service: Any, emulator: TelegramEmulator) -> None:
    """Every queued message has met its fate and none is in flight."""

    async def idle() -> bool:
        async with service.ctx.db.session_factory() as session:
            busy = await session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status.in_(("pending", "sending"))
                )
            )
        return busy == 0

    await emulator.wait_for(idle, timeout=10)


async def rows(service: Any, statement: Any) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(statement))


async def accepted_lead(emulator: TelegramEmulator, customer: int, text: str, name: str) -> int:
    """A customer writes; Sergey gets the offer and accepts it. The lead's id."""
    emulator.add_update(emulator.make_text_update(customer, text, first_name=name))
    await said(emulator, SERGEY, text)
    (lead_id,) = {
        int(data.split(":")[2]) for data in buttons_in(emulator, SERGEY, text) if ":acc:" in data
    }
    await press(emulator, SERGEY, f"lead:acc:{lead_id}:")
    await said(emulator, SERGEY, f"Лид #{lead_id} ваш")
    return lead_id
