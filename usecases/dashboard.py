"""Read models for the web dashboard: the leads list with filters and search, one lead
with its conversation and history, the team now, and CSV exports. Plain dicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.search import fragments
from domain.sla import planned_timers
from domain.web_access import Viewer, may_see_lead
from usecases.assignment import lead_clock
from usecases.context import AppContext
from usecases.lead_story import tell
from usecases.queries import lead_details
from usecases.spreadsheet import spreadsheet_csv
from usecases.staffing import hours_of

PER_PAGE = 50
CSV_LIMIT = 10_000


@dataclass(frozen=True)
class LeadFilter:
    status: str | None = None
    channel: str | None = None
    manager_id: int | None = None
    text: str | None = None
    first_day: date | None = None
    last_day: date | None = None
    open_only: bool = False
    page: int = 1
    # Only what this manager may see (domain.web_access.lead_scope); None: everyone's.
    scope: int | None = None


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


async def _search(ctx: AppContext, filters: LeadFilter, limit: int, offset: int) -> Any:
    zone = ZoneInfo(ctx.config.company.timezone)
    since = _day_start(filters.first_day, zone) if filters.first_day else None
    until = _day_start(filters.last_day + timedelta(days=1), zone) if filters.last_day else None
    async with ctx.db.uow() as uow:
        rows, total = await uow.reports.search_leads(
            status=filters.status,
            channel=filters.channel,
            manager_id=filters.manager_id,
            text=filters.text,
            since=since,
            until=until,
            open_only=filters.open_only,
            visible_to=filters.scope,
            limit=limit,
            offset=offset,
        )
        managers = await uow.reports.managers_by_id()
        channels = await uow.reports.channels()
        found = (
            await uow.search.fragments(filters.text, [lead.id for lead, _ in rows])
            if filters.text
            else {}
        )
    return rows, total, managers, channels, found


def _lead_row(lead: Any, contact: Any, managers: dict[int, Any]) -> dict[str, Any]:
    manager = managers.get(lead.manager_id or 0)
    offered = managers.get(lead.offered_manager_id or 0)
    return {
        "id": lead.id,
        "status": lead.status,
        "is_open": lead.is_open,
        "channel": lead.channel,
        "source": lead.source,
        "lead_class": lead.lead_class,
        "customer": contact.display_name or contact.username or f"#{contact.id}",
        "phone": contact.phone,
        "email": contact.email,
        "manager": manager.name if manager else None,
        "offered_to": offered.name if offered else None,
        "created_at": lead.created_at,
        "first_response_at": lead.first_response_at,
        "closed_at": lead.closed_at,
        "loss_reason": lead.loss_reason,
    }


async def leads_page(ctx: AppContext, filters: LeadFilter) -> dict[str, Any]:
    offset = (filters.page - 1) * PER_PAGE
    rows, total, managers, channels, found = await _search(ctx, filters, PER_PAGE, offset)
    items = []
    for lead, contact in rows:
        # What the customer (or the manager) said that matched, matches marked.
        item = _lead_row(lead, contact, managers)
        item["found"] = fragments(found[lead.id]) if lead.id in found else []
        items.append(item)
    return {
        "items": items,
        "total": total,
        "page": filters.page,
        "pages": max(1, -(-total // PER_PAGE)),
        "channels": channels,
        "managers": [(m.id, m.name) for m in managers.values()],
    }


LEAD_CSV_COLUMNS = (
    "id",
    "status",
    "is_open",
    "channel",
    "source",
    "lead_class",
    "customer",
    "phone",
    "email",
    "manager",
    "created_at",
    "first_response_at",
    "closed_at",
    "loss_reason",
)


async def leads_csv(ctx: AppContext, filters: LeadFilter, language: str) -> str:
    """The leads the page finds, as the page shows them: stage names and times in the
    company's zone, headers in the reader's language (usecases.spreadsheet)."""
    rows, _, managers, _, _ = await _search(ctx, filters, CSV_LIMIT, 0)
    lines = []
    for lead, contact in rows:
        row = _lead_row(lead, contact, managers)
        row["status"] = str(ctx.texts.get(f"stage_{lead.status}", language))
        lines.append([row[column] for column in LEAD_CSV_COLUMNS])
    zone = ZoneInfo(ctx.config.company.timezone)
    return spreadsheet_csv(LEAD_CSV_COLUMNS, lines, language=language, zone=zone)


class NotYours(Exception):
    """The viewer may not see this lead (domain.web_access.may_see_lead)."""


async def lead_for_viewer(ctx: AppContext, lead_id: int) -> Any:
    """The lead row a dashboard action checks the viewer's rights on; None: no such lead."""
    async with ctx.db.uow() as uow:
        return await uow.leads.get(lead_id)


async def lead_page(
    ctx: AppContext, lead_id: int, viewer: Viewer, language: str
) -> dict[str, Any] | None:
    """The lead with its conversation and its history told in sentences; None when there
    is no such lead."""
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get(lead_id)
    if lead is not None and not may_see_lead(viewer, lead):
        raise NotYours(lead_id)
    details = await lead_details(ctx, lead_id)
    if details is None:
        return None
    async with ctx.db.uow() as uow:
        managers = await uow.reports.managers_by_id()
    names = {m.id: m.name for m in managers.values()}
    manager = managers.get(details["manager_id"] or 0)
    story = tell(ctx, details["events"], names, language)
    return {**details, "manager": manager.name if manager else None, "story": story}


async def staff_choices(ctx: AppContext) -> list[tuple[int, str]]:
    async with ctx.db.uow() as uow:
        managers = await uow.reports.managers_by_id()
    return [(m.id, m.name) for m in managers.values() if m.active and m.retired_at is None]


async def team_page(ctx: AppContext) -> dict[str, Any]:
    """Each member now: on shift or not, load, what he holds, what is overdue."""
    now = ctx.clock.now()
    policy = ctx.config.sla_policy()
    async with ctx.db.uow() as uow:
        managers = await uow.reports.managers_by_id()
        leads = await uow.reports.open_leads()
    members: dict[int, dict[str, Any]] = {}
    for manager in managers.values():
        if manager.retired_at is not None:
            continue
        if not manager.active:
            state = "inactive"
        elif manager.paused_at is not None:
            state = "paused"
        else:
            state = (
                "on_shift"
                if hours_of(manager, ctx.config.work_calendar()).is_open(now)
                else "off_shift"
            )
        members[manager.id] = {
            "id": manager.id,
            "name": manager.name,
            "role": manager.role,
            "level": manager.level,
            "capacity": manager.capacity,
            "state": state,
            "leads": [],
            "offers": [],
            "overdue": 0,
        }
    waiting, needs_head = [], []
    for lead in leads:
        breaches = [
            timer
            for timer in planned_timers(lead_clock(ctx, lead), policy)
            if timer.escalate and timer.at <= now
        ]
        item = {
            "id": lead.id,
            "status": lead.status,
            "stage_since": lead.stage_entered_at,
            "created_at": lead.created_at,
            "overdue": bool(breaches),
            "answered": lead.first_response_at is not None,
        }
        holder = members.get(lead.manager_id or 0)
        offered = members.get(lead.offered_manager_id or 0)
        if holder is not None:
            holder["leads"].append(item)
            holder["overdue"] += bool(breaches)
        elif offered is not None:
            offered["offers"].append(item)
        elif lead.needs_head:
            needs_head.append(item)
        else:
            waiting.append(item)
    for member in members.values():
        member["load"] = len(member["leads"]) + len(member["offers"])
    ordered = sorted(members.values(), key=lambda m: (m["role"] != "head", m["name"]))
    return {"members": ordered, "waiting": waiting, "needs_head": needs_head, "now": now}
