"""The team and leads the web-login and board tests work with, through the real bot and
the Telegram emulator: Сергей holds two leads, Юлия one, one waits in the queue; and
getting a sign-in link from the bot (/web)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.runtime import Service
from config.business import Config, parse_config
from storage.models import Contact, Lead, LeadEvent, Manager
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import wait_until
from usecases import reassign
from usecases.assignment import Verdict
from usecases.team import set_paused

HEAD, SERGEY, JULIA = 900, 101, 102
CUSTOMERS = {
    "anna": (5001, "Анна"),
    "boris": (5002, "Борис"),
    "vera": (5003, "Вера"),
    "grisha": (5004, "Гриша"),
}
MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ALWAYS = {"mon-sun": "00:00-00:00"}
LINK = re.compile(r"https?://\S+/dashboard/login/[A-Za-z0-9_-]+")


def web_config() -> Config:
    return parse_config(
        {
            "company": {"timezone": "UTC", "working_hours": ALWAYS},
            "sla": {"first_response": "30m", "accept_timeout": "2h"},
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
                        "level": "senior",
                        "working_hours": ALWAYS,
                    },
                ],
            },
        }
    )


async def rows(service: Service, statement: Any) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(statement))


async def lead_of(service: Service, lead_id: int) -> Lead:
    (lead,) = await rows(service, select(Lead).where(Lead.id == lead_id))
    return lead


async def events_of(service: Service, lead_id: int, kind: str) -> list[LeadEvent]:
    return await rows(
        service,
        select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.type == kind),
    )


async def seed(service: Service, emulator: TelegramEmulator) -> dict[str, int]:
    """Both managers pause, four customers write (all four wait in the queue), and the
    head hands Анна's and Борис's leads to Сергей and Вера's to Юлия; Гриша's waits.
    Returns the lead ids by customer and the manager ids (`sergey`, `julia`)."""
    ctx = service.ctx
    for manager in (SERGEY, JULIA):
        assert await set_paused(ctx, manager, True)
    for user, name in CUSTOMERS.values():
        emulator.add_update(
            emulator.make_text_update(user, f"Здравствуйте, я {name}", first_name=name)
        )

    async def all_captured() -> bool:
        count = await rows(service, select(func.count(Lead.id)))
        return count == [len(CUSTOMERS)]

    await wait_until(all_captured)
    leads = {contact.display_name: lead.id for lead, contact in (await _pairs(service))}
    ids = {key: leads[name] for key, (_, name) in CUSTOMERS.items()}
    managers = {m.telegram_id: m.id for m in await rows(service, select(Manager))}
    for key, target in (("anna", SERGEY), ("boris", SERGEY), ("vera", JULIA)):
        verdict = await reassign.head_assign(ctx, ids[key], HEAD, managers[target])
        assert verdict is Verdict.DONE, key
    return {**ids, "sergey": managers[SERGEY], "julia": managers[JULIA]}


async def _pairs(service: Service) -> list[tuple[Lead, Contact]]:
    async with service.ctx.db.session_factory() as session:
        result = await session.execute(
            select(Lead, Contact).join(Contact, Contact.id == Lead.contact_id)
        )
        return [(lead, contact) for lead, contact in result]


def texts_to(emulator: TelegramEmulator, chat: int) -> list[str]:
    return [str(call.params.get("text", "")) for call in emulator.shown(chat)]


async def login_link(emulator: TelegramEmulator, telegram_id: int) -> str:
    """Send /web to the bot as this staff member; the link in the bot's answer."""
    before = len([t for t in texts_to(emulator, telegram_id) if LINK.search(t)])
    emulator.add_update(emulator.make_text_update(telegram_id, "/web"))

    def answered() -> bool:
        return len([t for t in texts_to(emulator, telegram_id) if LINK.search(t)]) > before

    await emulator.wait_for(answered, timeout=10)
    found = LINK.search([t for t in texts_to(emulator, telegram_id) if LINK.search(t)][-1])
    assert found is not None
    return found.group(0)
