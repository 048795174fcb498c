"""Helpers of the Telegram Business tests: waiting for what the bot said and for the
inbox to settle, reading rows, and the steps an account and its owner take."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from config.settings import Settings
from domain.buttons import LeadButton, lead_button
from storage.models import Lead, Manager
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.telegram.records import Call
from tests.support.service import make_settings, wait_until

OWNER = 301  # the account's owner, a manager on the team


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def said_to(emulator: TelegramEmulator, chat: int, contains: str) -> list[Call]:
    return [call for call in emulator.sent_messages(chat) if contains in text_of(call)]


async def sent_to(emulator: TelegramEmulator, chat: int, contains: str) -> Call:
    await emulator.wait_for(lambda: said_to(emulator, chat, contains), timeout=15)
    return said_to(emulator, chat, contains)[-1]


async def drained(service: Any, emulator: TelegramEmulator | None = None) -> None:
    """Every update given so far is handled: confirmed by getUpdates (polling, when the
    emulator is named), then processed by the inbox worker."""
    if emulator is not None:
        await emulator.wait_for(lambda: not emulator.pending_updates, timeout=15)

    async def done() -> bool:
        async with service.ctx.db.uow() as uow:
            return await uow.inbox.pending_count() == 0

    await wait_until(done)


async def only_lead(service: Any) -> Lead:
    async with service.ctx.db.session_factory() as session:
        leads = list(await session.scalars(select(Lead)))
    assert len(leads) == 1, leads
    return leads[0]


async def manager_id(service: Any, telegram_id: int) -> int:
    async with service.ctx.db.session_factory() as session:
        found = await session.scalar(select(Manager.id).where(Manager.telegram_id == telegram_id))
    assert found is not None
    return found


async def rows(service: Any, model: Any, *where: Any) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).where(*where).order_by(model.id)))


def settings_for(database_url: str, emulator: TelegramEmulator, **extra: Any) -> Settings:
    return make_settings(database_url, emulator.base_url, telegram_chat_interval=0.05, **extra)


async def connect(emulator: TelegramEmulator, owner: int = OWNER, name: str = "Ivan") -> str:
    emulator.add_update(
        emulator.make_business_connection_update(owner, name, username=f"{name.lower()}_sales")
    )
    return emulator.business_connection_id(owner)


async def reply_through_bot(emulator: TelegramEmulator, lead_id: int, text: str) -> None:
    """The owner, as a manager, presses «Ответить» on the card and types his answer."""
    emulator.add_update(
        emulator.make_callback_update(OWNER, lead_button(LeadButton.REPLY, lead_id))
    )
    await sent_to(emulator, OWNER, "Напишите ответ клиенту")
    emulator.add_update(emulator.make_text_update(OWNER, text))
