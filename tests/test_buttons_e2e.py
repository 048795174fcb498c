"""Complaint buttons through the real bot: the head assigns a complaint by button, the
owner resolves it by button, and a malformed or forged press changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from config.business import parse_config
from storage.models import Complaint, Manager
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service

HEAD, MANAGER, CUSTOMER = 900, 101, 5001
ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Head"}],
        "managers": [{"telegram_id": MANAGER, "name": "Maria", "working_hours": ALWAYS}],
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def buttons_of(emulator: TelegramEmulator, chat: int, prefix: str, label: str = "") -> list[str]:
    return [
        button.get("callback_data", "")
        for call in emulator.sent_messages(chat)
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if button.get("callback_data", "").startswith(prefix) and label in button.get("text", "")
    ]


async def test_complaint_buttons_assign_and_resolve(
    database_url: str, emulator: TelegramEmulator
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, parse_config(CONFIG)) as service:
        emulator.add_update(emulator.make_text_update(CUSTOMER, "/complaint"))
        await emulator.wait_for(lambda: len(emulator.sent_messages(CUSTOMER)) >= 1, timeout=10)
        emulator.add_update(emulator.make_text_update(CUSTOMER, "Привезли не тот цвет рам"))
        await emulator.wait_for(lambda: buttons_of(emulator, HEAD, "cmp:asg:"), timeout=10)

        # A malformed press and the manager pressing the head's button: nothing moves.
        emulator.add_update(emulator.make_callback_update(HEAD, "cmp:asg:notanumber:1"))
        forged = buttons_of(emulator, HEAD, "cmp:take:")[0]
        emulator.add_update(emulator.make_callback_update(MANAGER, forged))

        assign = buttons_of(emulator, HEAD, "cmp:asg:", "Maria")[0]
        emulator.add_update(emulator.make_callback_update(HEAD, assign))
        await emulator.wait_for(lambda: buttons_of(emulator, MANAGER, "cmp:res:"), timeout=10)
        async with service.ctx.db.session_factory() as session:
            complaint = (await session.execute(select(Complaint))).scalar_one()
            maria = (
                await session.execute(select(Manager).where(Manager.telegram_id == MANAGER))
            ).scalar_one()
        assert (complaint.owner_id, complaint.status) == (maria.id, "in_progress")

        resolve = buttons_of(emulator, MANAGER, "cmp:res:")[0]
        emulator.add_update(emulator.make_callback_update(MANAGER, resolve))
        before = len(emulator.sent_messages(MANAGER))
        await emulator.wait_for(lambda: len(emulator.sent_messages(MANAGER)) > before, timeout=10)
        emulator.add_update(emulator.make_text_update(MANAGER, "Заменили рамы за наш счёт"))

        async def resolved() -> bool:
            async with service.ctx.db.session_factory() as session:
                row = (await session.execute(select(Complaint))).scalar_one()
            return row.status == "resolved" and row.resolution == "Заменили рамы за наш счёт"

        await emulator.wait_for(resolved, timeout=10)
