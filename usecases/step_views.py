"""Next steps in what staff read: a manager's /today (today's and overdue steps, his
leads without one), a head's /today (the team's overdue steps), a lead's current step
(/lead N, the API, the dashboard)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from domain.next_steps import StepKind, is_overdue
from storage.models import Lead, Manager
from storage.step_models import NextStep
from storage.uow import UnitOfWork
from texts import Safe, Texts
from usecases import cards, step_cards
from usecases.context import AppContext
from usecases.next_steps import team_zone

# Lines per section of /today; the rest is counted («…и ещё N»).
TODAY_LINES = 10


def _day_end(ctx: AppContext, now: datetime) -> datetime:
    zone = team_zone(ctx)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=zone)


def _section(texts: Texts, language: str, key: str, lines: list[Safe]) -> list[str]:
    if not lines:
        return []
    shown = [texts.plural(key, language, len(lines)), *lines[:TODAY_LINES]]
    if len(lines) > TODAY_LINES:
        shown.append(texts.get("today_more", language, count=len(lines) - TODAY_LINES))
    return ["\n".join(shown)]


async def _customers(uow: UnitOfWork, leads: list[Lead]) -> dict[int, str]:
    contacts = await uow.contacts.by_ids(sorted({lead.contact_id for lead in leads}))
    names = {}
    for lead in leads:
        contact = contacts.get(lead.contact_id)
        names[lead.id] = (
            (contact.display_name or contact.username or f"#{contact.id}") if contact else "—"
        )
    return names


async def manager_today(
    ctx: AppContext, uow: UnitOfWork, manager: Manager, leads: list[Lead]
) -> list[str]:
    """Sections of a manager's /today: overdue steps, today's, held leads without one."""
    if not ctx.config.next_steps.enabled:
        return []
    texts, language, now = ctx.texts, manager.language, ctx.clock.now()
    held = [lead for lead in leads if lead.manager_id == manager.id and lead.is_open]
    steps = await uow.next_steps.open_for_leads([lead.id for lead in held])
    customers = await _customers(uow, held)
    end = _day_end(ctx, now)

    def line(step: NextStep) -> Safe:
        return texts.get(
            "today_step_line",
            language,
            when=step_cards.moment_text(texts, language, step.due_at, now, team_zone(ctx)),
            kind=step_cards.kind_name(texts, language, step.kind),
            lead_id=step.lead_id,
            customer=customers[step.lead_id],
            note=step_cards.note_text(texts, language, step.note, "today_step_note"),
        )

    ordered = sorted(steps.values(), key=lambda step: (step.due_at, step.id))
    missing = [
        texts.get(
            "today_missing_line",
            language,
            lead_id=lead.id,
            customer=customers[lead.id],
            stage=cards.stage_name(texts, language, lead.status),
        )
        for lead in sorted(held, key=lambda item: item.accepted_at or item.created_at)
        if lead.id not in steps and lead.accepted_at is not None
    ]
    return [
        *_section(
            texts,
            language,
            "today_steps_overdue",
            [line(s) for s in ordered if s.due_at <= now],
        ),
        *_section(
            texts,
            language,
            "today_steps_due",
            [line(s) for s in ordered if now < s.due_at < end],
        ),
        *_section(texts, language, "today_steps_missing", missing),
    ]


async def head_today(ctx: AppContext, uow: UnitOfWork, head: Manager) -> list[str]:
    """The section of a head's /today: the team's steps past their time and the grace."""
    if not ctx.config.next_steps.enabled:
        return []
    texts, language, now = ctx.texts, head.language, ctx.clock.now()
    grace = ctx.config.next_steps.overdue_grace
    late = [
        step
        for step in await uow.next_steps.open_due_before(now)
        if is_overdue(step.due_at, grace, now)
    ]
    leads = {step.lead_id: await uow.leads.get(step.lead_id) for step in late}
    held = [lead for lead in leads.values() if lead is not None]
    customers = await _customers(uow, held)
    names = {member.id: member.name for member in await uow.managers.all()}
    lines = [
        texts.get(
            "today_team_step_line",
            language,
            lead_id=step.lead_id,
            customer=customers.get(step.lead_id, "—"),
            kind=step_cards.kind_name(texts, language, step.kind),
            when=step_cards.moment_text(texts, language, step.due_at, now, team_zone(ctx)),
            manager=names.get(_holder(leads.get(step.lead_id), step), "—"),
        )
        for step in late
    ]
    return _section(texts, language, "today_team_overdue", lines)


def _holder(lead: Lead | None, step: NextStep) -> int:
    return (lead.manager_id if lead is not None else step.manager_id) or 0


async def step_line(ctx: AppContext, uow: UnitOfWork, lead: Lead, language: str) -> Safe:
    """The lead's next step in one line for its card (/lead N); empty for closed leads
    and leads nobody holds yet."""
    if not ctx.config.next_steps.enabled or not lead.is_open or lead.manager_id is None:
        return Safe("")
    step = await uow.next_steps.open_for_lead(lead.id)
    if step is None:
        return ctx.texts.get("step_none", language)
    now = ctx.clock.now()
    return ctx.texts.get(
        "step_line",
        language,
        kind=step_cards.kind_name(ctx.texts, language, step.kind),
        when=step_cards.moment_text(ctx.texts, language, step.due_at, now, team_zone(ctx)),
        note=step_cards.note_text(ctx.texts, language, step.note),
    )


def kind_choices(texts: Texts, language: str) -> list[tuple[str, str]]:
    """Every kind with its name in the reader's language (for the dashboard's form)."""
    return [(kind.value, str(step_cards.kind_name(texts, language, kind))) for kind in StepKind]
