"""Shared pieces of the staff-side use cases: who is eligible now, who may act on a
lead, and queueing a message to a staff member or to every head."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from domain.assignment import Candidate
from domain.calendar import WorkCalendar
from domain.classify import Classification
from domain.hours import WorkingHours, week_from_json
from domain.lead_access import ROLE_HEAD
from domain.lead_access import may_act as may_act  # the rule, read from here too
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from usecases.context import AppContext


def hours_of(manager: Manager, calendar: WorkCalendar) -> WorkingHours:
    """His own hours on the company's production calendar (holidays in his local date)."""
    week = json.dumps(manager.working_hours or {}, sort_keys=True)
    return _hours(manager.timezone, week, calendar)


@lru_cache(maxsize=1024)
def _hours(timezone: str, week: str, calendar: WorkCalendar) -> WorkingHours:
    # Parsed once per distinct schedule: distribution asks for every manager every time.
    return WorkingHours(timezone, week_from_json(json.loads(week)), calendar)


def candidate(
    manager: Manager, now: datetime, open_leads: int, calendar: WorkCalendar
) -> Candidate:
    return Candidate(
        id=manager.id,
        level=manager.level,
        active=manager.active,
        paused=manager.paused_at is not None,
        on_shift=hours_of(manager, calendar).is_open(now),
        open_leads=open_leads,
        capacity=manager.capacity,
        last_offered_at=manager.last_offered_at,
    )


async def candidates(
    uow: UnitOfWork, now: datetime, calendar: WorkCalendar
) -> dict[int, Candidate]:
    """Everyone who may get leads automatically (managers, not heads), with their load."""
    counts = await uow.managers.open_lead_counts()
    return {
        manager.id: candidate(manager, now, counts.get(manager.id, 0), calendar)
        for manager in await uow.managers.all()
        if manager.role != ROLE_HEAD
    }


def class_of(ctx: AppContext, lead: Lead) -> Classification:
    for rule in ctx.config.class_rules():
        if rule.name == lead.lead_class:
            return Classification(rule.name, rule.min_level, rule.priority)
    # The class was removed from the config since: the default class applies.
    from domain.classify import classify

    return classify(ctx.config.class_rules(), "")


async def tell_staff(
    ctx: AppContext,
    uow: UnitOfWork,
    manager: Manager,
    payload: dict[str, Any],
    *,
    purpose: str,
    lead_id: int | None = None,
    dedupe_key: str | None = None,
) -> None:
    await uow.outbox.add(
        channel="telegram",
        chat_id=str(manager.telegram_id),
        purpose=purpose,
        payload=payload,
        now=ctx.clock.now(),
        lead_id=lead_id,
        dedupe_key=f"{dedupe_key}:to:{manager.id}" if dedupe_key else None,
    )


@dataclass(frozen=True)
class HeadMail:
    """The same message to the heads by e-mail as well: to these addresses, in one
    language, under this subject (plain text; the e-mail sender makes the HTML plain)."""

    to: tuple[str, ...]
    language: str
    subject: str


async def tell_heads(
    ctx: AppContext,
    uow: UnitOfWork,
    build: Any,
    *,
    purpose: str,
    lead_id: int | None = None,
    dedupe_key: str | None = None,
    mail: HeadMail | None = None,
) -> int:
    """`build(language)` gives each head his payload; returns how many heads were told
    in Telegram. With `mail`, the message is queued on the e-mail channel too."""
    if mail is not None:
        payload = {**build(mail.language), "subject": mail.subject}
        for address in mail.to:
            await uow.outbox.add(
                channel="email",
                chat_id=address,
                purpose=purpose,
                payload=payload,
                now=ctx.clock.now(),
                lead_id=lead_id,
                dedupe_key=f"{dedupe_key}:mail:{address}" if dedupe_key else None,
            )
    heads = await uow.managers.heads()
    for head in heads:
        await tell_staff(
            ctx,
            uow,
            head,
            build(head.language),
            purpose=purpose,
            lead_id=lead_id,
            dedupe_key=dedupe_key,
        )
    return len(heads)
