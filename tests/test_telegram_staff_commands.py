"""End to end: a customer typing any registered staff command gets "for staff only" and
nothing of his is captured. The list is read from the staff routers, as the bot reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from app.texts import Texts
from handlers.telegram.staff_commands import STAFF_COMMANDS
from storage.models import Contact, Lead, Message
from tests.emulator.telegram import TelegramEmulator
from tests.service import TOKEN, make_settings, running_service


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def test_the_derived_list_has_the_commands_that_once_drifted() -> None:
    assert {"report", "complaints", "merge"} <= set(STAFF_COMMANDS)
    assert {"leads", "lead", "today", "team", "invite", "pause", "resume"} <= set(STAFF_COMMANDS)
    # Customer commands stay the customer's.
    assert not {"start", "stop", "complaint"} & set(STAFF_COMMANDS)


@pytest.mark.parametrize("command", STAFF_COMMANDS)
async def test_customer_typing_a_staff_command_is_told_it_is_for_staff(
    command: str, database_url: str, emulator: TelegramEmulator, config: object
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, config) as service:
        emulator.add_update(emulator.make_text_update(5001, f"/{command} 1 2", language_code="en"))
        sent = await emulator.wait_for_sent(1, timeout=10)
        async with service.ctx.db.session_factory() as session:
            messages = await session.scalar(select(func.count(Message.id)))
            leads = await session.scalar(select(func.count(Lead.id)))
            contacts = await session.scalar(select(func.count(Contact.id)))
    assert sent[0].params["text"] == Texts().get("customer_only", "en")
    assert int(sent[0].params["chat_id"]) == 5001
    assert (messages, leads, contacts) == (0, 0, 0)
