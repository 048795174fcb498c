"""What staff read in chat: their leads, a lead with its history, today's work, the team."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from texts import Safe
from usecases import cards, conversation, gate_views, lead_story, special_terms, step_views
from usecases.context import AppContext
from usecases.replies import format_span
from usecases.staffing import ROLE_HEAD
from usecases.team import team_overview


async def my_leads(ctx: AppContext, telegram_id: int) -> Safe | None:
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None:
            return None
        leads = await uow.leads.for_manager(manager.id)
        contacts = {lead.id: await uow.contacts.get(lead.contact_id) for lead in leads}
    language = manager.language
    if not leads:
        return ctx.texts.get("leads_empty", language)
    now = ctx.clock.now()
    lines = [ctx.texts.get("leads_header", language, count=len(leads))]
    for lead in leads:
        contact = contacts[lead.id]
        overdue = (lead.next_timer_at is not None and lead.next_timer_at <= now) or bool(
            lead.first_response_at is None and now - lead.created_at > ctx.config.sla.first_response
        )
        lines.append(
            ctx.texts.get(
                "leads_line",
                language,
                lead_id=lead.id,
                stage=cards.stage_name(ctx.texts, language, lead.status),
                customer=(contact.display_name if contact else None) or "—",
                age=format_span(ctx.texts, now - lead.created_at, language),
                overdue=ctx.texts.get("overdue_mark", language) if overdue else "",
            )
        )
    return Safe("\n".join(lines))


async def lead_view(ctx: AppContext, telegram_id: int, lead_id: int) -> tuple[Safe, list] | None:
    """The card and the history; None when the reader may not see this lead."""
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        lead = await uow.leads.get(lead_id)
        if manager is None:
            return None
        language = manager.language
        if lead is None or not may_read(manager, lead):
            return ctx.texts.get("lead_not_found", language, lead_id=lead_id), []
        contact = await uow.contacts.get(lead.contact_id)
        recent, total = await uow.messages.recent(lead.id, conversation.CARD_MESSAGES)
        events = await uow.events.for_lead(lead.id)
        names = {m.id: m.name for m in await uow.managers.all()}
        next_step = await step_views.step_line(ctx, uow, lead, language)
        granted = await special_terms.granted_line(ctx, uow, lead.id, language)
        playbook, gate_rows = await gate_views.card_part(ctx, uow, lead, language)
    zone = ctx.config.hours().zone
    header = Safe("")
    text = cards.card_text(
        ctx.texts,
        language,
        lead=lead,
        contact=contact,
        conversation=conversation.card_conversation(ctx.texts, language, lead.id, recent, total),
        now=ctx.clock.now(),
        header=header,
    )
    # Told as the lead page tells it: who by name and what in words, never an event's code.
    recent_events = events[-15:]
    story = lead_story.tell(
        ctx,
        [{"type": e.type, "actor": e.actor, "data": e.data or {}} for e in recent_events],
        names,
        language,
    )
    history = [
        ctx.texts.get(
            "history_line",
            language,
            at=f"{event.at.astimezone(zone):%d.%m %H:%M}",
            event=line.text,
            actor=line.who,
        )
        for event, line in zip(recent_events, story, strict=True)
    ]
    buttons = (
        cards.work_buttons(
            ctx.texts,
            language,
            lead.id,
            lead.status,
            steps=ctx.config.next_steps.enabled,
            terms=bool(ctx.config.special_terms.rules()),
        )
        if lead.is_open and (lead.manager_id == manager.id or manager.role == ROLE_HEAD)
        else []
    )
    if buttons:
        buttons += gate_rows
    if lead.is_open and manager.role == ROLE_HEAD:
        buttons += cards.head_rows(ctx.texts, language, lead.id)
    body = text.strip() + playbook + "".join(f"\n\n{line}" for line in (next_step, granted) if line)
    return Safe(body + "\n\n" + "\n".join(history)), buttons


async def lead_full_text(ctx: AppContext, telegram_id: int, lead_id: int) -> list[str] | None:
    """Every message of the lead in full, in pieces of one Telegram message each (plain
    text); None when the reader is not staff."""
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        lead = await uow.leads.get(lead_id)
        if manager is None:
            return None
        language = manager.language
        if lead is None or not may_read(manager, lead):
            return [html.unescape(ctx.texts.get("lead_not_found", language, lead_id=lead_id))]
        messages = await uow.messages.for_lead(lead.id)
    zone = ctx.config.hours().zone
    return conversation.full_conversation(ctx.texts, language, lead.id, messages, zone)


def may_read(manager: Any, lead: Any) -> bool:
    return manager.role == ROLE_HEAD or manager.id in (lead.manager_id, lead.offered_manager_id)


async def today(ctx: AppContext, telegram_id: int) -> Safe | None:
    """His next steps (overdue, today's, leads without one), then the leads whose timers
    fall due before the end of the day, and the overdue ones."""
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None:
            return None
        leads = await uow.leads.for_manager(manager.id)
        steps = await step_views.manager_today(ctx, uow, manager, leads)
    language = manager.language
    now = ctx.clock.now()
    horizon = now + timedelta(hours=24 - now.astimezone(ctx.config.hours().zone).hour)
    due = [
        lead
        for lead in leads
        if (lead.next_timer_at is not None and lead.next_timer_at <= horizon)
        or lead.first_response_at is None
    ]
    if not due and not steps:
        return ctx.texts.get("today_empty", language)
    lines = [ctx.texts.get("today_header", language)]
    for lead in sorted(due, key=lambda item: item.next_timer_at or item.created_at):
        overdue = (lead.next_timer_at or horizon) <= now
        lines.append(
            ctx.texts.get(
                "leads_line",
                language,
                lead_id=lead.id,
                stage=cards.stage_name(ctx.texts, language, lead.status),
                customer="",
                age=format_span(ctx.texts, now - lead.created_at, language),
                overdue=ctx.texts.get("overdue_mark", language) if overdue else "",
            )
        )
    return Safe("\n\n".join(["\n".join(lines), *steps]))


async def team_text(ctx: AppContext, language: str) -> Safe:
    lines = [ctx.texts.get("team_header", language)]
    mode = ctx.config.distribution.assignment.value
    lines.append(ctx.texts.get(f"team_assignment_{mode}", language))
    for member in await team_overview(ctx):
        # A head's level decides nothing (heads get no leads automatically): not shown.
        level = (
            ""
            if member.role == ROLE_HEAD
            else ", " + ctx.texts.get(f"level_{member.level}", language)
        )
        unreachable = (
            ctx.texts.get(
                "team_unreachable",
                language,
                reason=ctx.texts.get(f"unreachable_{member.unreachable}", language),
            )
            if member.unreachable
            else ""
        )
        lines.append(
            ctx.texts.get(
                "team_line_full",
                language,
                name=member.name,
                telegram_id=member.telegram_id,
                role=ctx.texts.get(f"role_{member.role}", language),
                level=Safe(level),
                load=member.load,
                capacity=member.capacity,
                state=ctx.texts.get(f"state_{member.state}", language),
                unreachable=unreachable,
            )
        )
    return Safe("\n".join(lines))


async def staff_language(ctx: AppContext, telegram_id: int) -> str:
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
    return manager.language if manager else "ru"


async def send_to_staff(
    ctx: AppContext,
    telegram_id: int,
    text: str,
    buttons: list | None = None,
    *,
    plain: tuple[str, ...] = (),
) -> None:
    """Queue a message to a staff chat (prompts and answers to commands); `plain` pieces
    go after it, in order, as plain text (a customer's words exactly as he wrote them)."""
    async with ctx.db.uow() as uow:
        if text:
            await uow.outbox.add(
                channel="telegram",
                chat_id=str(telegram_id),
                purpose="staff",
                payload=cards.payload(text, buttons),
                now=ctx.clock.now(),
            )
        for piece in plain:
            await uow.outbox.add(
                channel="telegram",
                chat_id=str(telegram_id),
                purpose="staff",
                payload={"text": piece},
                now=ctx.clock.now(),
            )
        await uow.commit()
    ctx.wake("outbox")
