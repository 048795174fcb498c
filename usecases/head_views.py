"""What a head reads in chat: what needs him now (/today) and the team's open leads, by
filter and page (/leads). A manager's own views are usecases/staff_views.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.buttons import ListFilter, list_button
from domain.sla import planned_timers
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from texts import Safe
from usecases import cards, step_views
from usecases.assignment import lead_clock
from usecases.context import AppContext
from usecases.replies import format_span
from usecases.staffing import ROLE_HEAD

PAGE_SIZE = 10
# Lines per section of /today; the rest is counted ("…и ещё N") and is in /leads.
TODAY_LINES = 10
_MANAGER_BUTTONS = 8


@dataclass(frozen=True)
class _Team:
    head: Manager
    leads: list[Lead]
    names: dict[int, str]  # manager id → name
    customers: dict[int, str]  # lead id → customer name
    members: list[Manager]


async def _team(uow: UnitOfWork, telegram_id: int) -> _Team | None:
    head = await uow.managers.by_telegram_id(telegram_id)
    if head is None or head.role != ROLE_HEAD:
        return None
    leads = await uow.leads.open_all()
    members = await uow.managers.all()
    customers = {}
    for lead in leads:
        contact = await uow.contacts.get(lead.contact_id)
        customers[lead.id] = (
            (contact.display_name or contact.username or f"#{contact.id}") if contact else "—"
        )
    return _Team(head, leads, {m.id: m.name for m in members}, customers, members)


def _breaches(ctx: AppContext, lead: Lead, now: datetime) -> set[str]:
    """Which of the lead's SLA limits have passed now (computed, not read from alerts)."""
    timers = planned_timers(lead_clock(ctx, lead), ctx.config.sla_policy())
    return {timer.kind for timer in timers if timer.escalate and timer.at <= now}


def is_overdue(ctx: AppContext, lead: Lead, now: datetime) -> bool:
    return bool(_breaches(ctx, lead, now))


def _line(ctx: AppContext, language: str, team: _Team, lead: Lead, now: datetime) -> Safe:
    holder = lead.manager_id or lead.offered_manager_id
    if holder is None:
        manager = ctx.texts.get("nobody_holds", language)
    elif lead.manager_id is None:
        manager = ctx.texts.get("offered_to", language, name=team.names.get(holder, "—"))
    else:
        manager = Safe(ctx.texts.get("held_by", language, name=team.names.get(holder, "—")))
    return ctx.texts.get(
        "team_leads_line",
        language,
        lead_id=lead.id,
        stage=cards.stage_name(ctx.texts, language, lead.status),
        customer=team.customers.get(lead.id, "—"),
        manager=manager,
        age=format_span(ctx.texts, now - lead.created_at, language),
        overdue=ctx.texts.get("overdue_mark", language) if is_overdue(ctx, lead, now) else "",
    )


def _section(
    ctx: AppContext, language: str, key: str, lines: list[Safe], **params: Any
) -> list[str]:
    if not lines:
        return []
    shown = [ctx.texts.get(key, language, count=len(lines), **params), *lines[:TODAY_LINES]]
    if len(lines) > TODAY_LINES:
        shown.append(ctx.texts.get("today_more", language, count=len(lines) - TODAY_LINES))
    return ["\n".join(shown)]


async def head_today(ctx: AppContext, telegram_id: int) -> Safe | None:
    """Everything that needs the head now; None when the reader is not a head."""
    async with ctx.db.uow() as uow:
        team = await _team(uow, telegram_id)
        if team is None:
            return None
        complaints = await uow.complaints.search(open_only=True)
        complainants = {}
        for complaint in complaints:
            contact = await uow.contacts.get(complaint.contact_id)
            complainants[complaint.id] = (contact.display_name if contact else None) or "—"
        late_steps = await step_views.head_today(ctx, uow, team.head)
    language = team.head.language
    now = ctx.clock.now()

    def lines(chosen: list[Lead]) -> list[Safe]:
        return [_line(ctx, language, team, lead, now) for lead in chosen]

    unheld = [lead for lead in team.leads if not (lead.manager_id or lead.offered_manager_id)]
    breaches = {lead.id: _breaches(ctx, lead, now) for lead in team.leads}
    overdue_mark = ctx.texts.get("overdue_mark", language)
    complaint_lines = [
        ctx.texts.get(
            "today_complaint_line",
            language,
            complaint_id=complaint.id,
            customer=complainants[complaint.id],
            text=complaint.text[:80],
            overdue=overdue_mark if complaint.deadline_at <= now else "",
        )
        for complaint in sorted(complaints, key=lambda item: item.deadline_at)
    ]
    unreachable = [
        ctx.texts.get(
            "today_unreachable_line",
            language,
            name=member.name,
            telegram_id=member.telegram_id,
            reason=ctx.texts.get(f"unreachable_{member.unreachable_reason}", language),
        )
        for member in team.members
        if member.active and member.unreachable_reason in ("not_started", "blocked")
    ]
    sections = [
        *_section(ctx, language, "today_needs_head", lines([x for x in unheld if x.needs_head])),
        *_section(
            ctx,
            language,
            "today_unassigned",
            lines([x for x in unheld if not x.needs_head and x.queued_at is None]),
        ),
        *_section(
            ctx,
            language,
            "today_queued",
            lines([x for x in unheld if not x.needs_head and x.queued_at is not None]),
        ),
        *_section(
            ctx,
            language,
            "today_breaches",
            lines([x for x in team.leads if "first_response_breach" in breaches[x.id]]),
            sla=format_span(ctx.texts, ctx.config.sla.first_response, language),
        ),
        *_section(
            ctx,
            language,
            "today_stuck",
            lines([x for x in team.leads if "stage_breach" in breaches[x.id]]),
        ),
        *late_steps,
        *_section(
            ctx,
            language,
            "today_complaints",
            complaint_lines,
            overdue=sum(1 for complaint in complaints if complaint.deadline_at <= now),
        ),
        *_section(ctx, language, "today_unreachable", unreachable),
    ]
    if not sections:
        return ctx.texts.get("today_head_empty", language)
    return Safe("\n\n".join([ctx.texts.get("today_head_header", language), *sections]))


def _chosen(
    ctx: AppContext, team: _Team, kind: ListFilter, manager_id: int, now: datetime
) -> list[Lead]:
    if kind is ListFilter.UNASSIGNED:
        return [lead for lead in team.leads if lead.manager_id is None]
    if kind is ListFilter.OVERDUE:
        return [lead for lead in team.leads if is_overdue(ctx, lead, now)]
    if kind is ListFilter.MANAGER:
        return [
            lead for lead in team.leads if manager_id in (lead.manager_id, lead.offered_manager_id)
        ]
    return list(team.leads)


def _button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


def _list_buttons(
    ctx: AppContext,
    language: str,
    team: _Team,
    kind: ListFilter,
    page: int,
    pages: int,
    manager_id: int,
) -> list[list[dict[str, str]]]:
    texts = ctx.texts
    rows: list[list[dict[str, str]]] = []
    paging = []
    if page > 0:
        paging.append(
            _button(str(texts.get("btn_prev", language)), list_button(kind, page - 1, manager_id))
        )
    if page + 1 < pages:
        paging.append(
            _button(str(texts.get("btn_next", language)), list_button(kind, page + 1, manager_id))
        )
    if paging:
        rows.append(paging)
    rows.append(
        [
            _button(str(texts.get(f"btn_filter_{other.value}", language)), list_button(other, 0))
            for other in (ListFilter.ALL, ListFilter.UNASSIGNED, ListFilter.OVERDUE)
        ]
    )
    staff = [m for m in team.members if m.active and m.role != ROLE_HEAD][:_MANAGER_BUTTONS]
    for start in range(0, len(staff), 2):
        rows.append(
            [
                _button(
                    str(texts.get("btn_filter_manager", language, name=member.name)),
                    list_button(ListFilter.MANAGER, 0, member.id),
                )
                for member in staff[start : start + 2]
            ]
        )
    return rows


async def team_leads(
    ctx: AppContext,
    telegram_id: int,
    kind: ListFilter = ListFilter.ALL,
    page: int = 0,
    manager_id: int = 0,
) -> tuple[Safe, list[list[dict[str, str]]]] | None:
    """One page of the team's open leads and the buttons to filter and turn pages; None
    when the reader is not a head."""
    async with ctx.db.uow() as uow:
        team = await _team(uow, telegram_id)
    if team is None:
        return None
    language = team.head.language
    now = ctx.clock.now()
    chosen = _chosen(ctx, team, kind, manager_id, now)
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    label = (
        ctx.texts.get("leads_filter_m", language, name=team.names.get(manager_id, "—"))
        if kind is ListFilter.MANAGER
        else ctx.texts.get(f"leads_filter_{kind.value}", language)
    )
    buttons = _list_buttons(ctx, language, team, kind, page, pages, manager_id)
    if not chosen:
        return ctx.texts.get("team_leads_empty", language, filter=label), buttons
    shown = chosen[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    header = ctx.texts.get(
        "team_leads_header", language, filter=label, count=len(chosen), page=page + 1, pages=pages
    )
    body = [_line(ctx, language, team, lead, now) for lead in shown]
    return Safe("\n".join([header, *body])), buttons
