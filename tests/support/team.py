"""The team the assignment, timer and report tests run with (a head, a senior and a junior
manager on weekday office hours; Monday 10:00 UTC is in them), and helpers that read what
the use cases wrote."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import Lead, Manager, OutboxMessage
from usecases.context import AppContext

HEAD, SENIOR, JUNIOR = 900, 101, 102
MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

TEAM_CONFIG = {
    "company": {"timezone": "UTC", "working_hours": {"mon-fri": "09:00-18:00"}},
    "sla": {
        "first_response": "30m",
        "first_response_reminder": "20m",
        "accept_timeout": "5m",
        "max_passes": 2,
        "stage_limits": {"contacted": "1d"},
    },
    "team": {
        "heads": [{"telegram_id": HEAD, "name": "Head"}],
        "managers": [
            {
                "telegram_id": SENIOR,
                "name": "Sergey",
                "level": "senior",
                "capacity": 5,
                "timezone": "UTC",
                "working_hours": {"mon-fri": "09:00-18:00"},
            },
            {
                "telegram_id": JUNIOR,
                "name": "Julia",
                "level": "junior",
                "capacity": 5,
                "timezone": "UTC",
                "working_hours": {"mon-fri": "09:00-18:00"},
            },
        ],
    },
    "lead_classes": [
        {"name": "big", "min_level": "senior", "priority": 10, "when": {"words": ["тендер"]}},
        {"name": "standard"},
    ],
}


async def lead_row(ctx: AppContext, lead_id: int) -> Lead:
    async with ctx.db.session_factory() as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        return lead


async def manager_ids(ctx: AppContext) -> dict[int, int]:
    async with ctx.db.session_factory() as session:
        return {m.telegram_id: m.id for m in await session.scalars(select(Manager))}


async def sent_to(ctx: AppContext, chat: int, purpose: str | None = None) -> list[OutboxMessage]:
    async with ctx.db.session_factory() as session:
        statement = select(OutboxMessage).where(OutboxMessage.chat_id == str(chat))
        if purpose:
            statement = statement.where(OutboxMessage.purpose == purpose)
        return list(await session.scalars(statement.order_by(OutboxMessage.id)))
