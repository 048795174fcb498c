"""A head's hand on leads someone may already hold: reassign one lead («Передать»,
«Взять себе»), or hand over all of a member's open leads by the distribution rules.

Whoever loses a lead, whoever gets it and the customer are told; every move is a
"reassigned" event whose actor is the head who made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain import lead_transitions as transitions
from domain import webhooks as hooks
from domain.assignment import Candidate, choose_manager
from domain.language import language_of
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from usecases import card_edits, cards, next_step_timers
from usecases.assignment import Verdict, distribute_waiting, send_card
from usecases.context import AppContext
from usecases.staffing import ROLE_HEAD, candidates, class_of, tell_staff
from usecases.webhooks import lead_event


async def head_assign(
    ctx: AppContext, lead_id: int, head_telegram_id: int, target_id: int | None
) -> Verdict:
    """A head hands a lead to a manager (or takes it himself when target_id is None),
    whether it waits, is on offer, or someone already holds it."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        head = await uow.managers.by_telegram_id(head_telegram_id)
        if head is None or head.role != ROLE_HEAD or not head.active:
            return Verdict.NOT_YOURS
        lead = await uow.leads.get_for_update(lead_id)
        if lead is None or not lead.is_open:
            return Verdict.STALE
        target = head if target_id is None else await uow.managers.get(target_id)
        if target is None or not target.active:
            return Verdict.STALE
        if lead.manager_id == target.id:
            return Verdict.STALE  # already his: nothing to move
        await _reassign(ctx, uow, lead, target, head, now, why="head")
        key = "head_took" if target.id == head.id else "head_reassigned"
        await tell_staff(
            ctx,
            uow,
            head,
            cards.payload(ctx.texts.get(key, head.language, lead_id=lead.id, name=target.name)),
            purpose="notice",
            lead_id=lead.id,
        )
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


async def _reassign(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    target: Manager,
    head: Manager,
    now: datetime,
    *,
    why: str,
    tell_previous: bool = True,
) -> None:
    previous_id = lead.manager_id or lead.offered_manager_id
    await uow.offers.close_pending(lead.id, "withdrawn", now)
    transitions.apply(lead, transitions.reassigned(target.id, now))
    uow.events.add(
        lead.id,
        "reassigned",
        now,
        actor=f"manager:{head.id}",
        manager_id=head.id,
        data={"from": previous_id, "to": target.id, "by": why},
    )
    await lead_event(ctx, uow, hooks.LEAD_ASSIGNED, lead)
    await send_card(ctx, uow, lead, target, offer=False)
    await next_step_timers.lead_held(ctx, uow, lead)
    contact = await uow.contacts.get(lead.contact_id)
    customer = (contact.display_name or contact.username or f"#{contact.id}") if contact else "—"
    previous = await uow.managers.get(previous_id) if previous_id else None
    if tell_previous and previous is not None and previous.id not in (target.id, head.id):
        text = ctx.texts.get(
            "lead_moved_away",
            previous.language,
            lead_id=lead.id,
            customer=customer,
            name=target.name,
            head=head.name,
        )
        # His card of the lead (the offer or the held lead's) now says where it went.
        await card_edits.close_card(ctx, uow, lead.id, previous, text)
    await _tell_customer(ctx, uow, lead, target, now)


async def _tell_customer(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, target: Manager, now: datetime
) -> None:
    identity = await uow.identities.reply_address(lead.contact_id, lead.channel)
    if identity is None:
        return
    text = ctx.texts.get("customer_new_manager", language_of(identity.language), name=target.name)
    await uow.outbox.add(
        channel=identity.channel,
        chat_id=identity.chat_id,
        purpose="notice",
        payload=cards.payload(text),
        now=now,
        lead_id=lead.id,
        contact_id=lead.contact_id,
    )


class HandoverOutcome(StrEnum):
    DONE = "done"
    NOT_HEAD = "not_head"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Handover:
    outcome: HandoverOutcome
    name: str = ""
    moved: list[tuple[int, str]] = field(default_factory=list)  # lead id, new holder
    waiting: list[int] = field(default_factory=list)  # nobody free: back in the queue


async def handover(ctx: AppContext, head_telegram_id: int, member_telegram_id: int) -> Handover:
    """Every open lead the member holds or has on offer goes to the others by the
    distribution rules (on shift, room, level; longest waiting first); a lead nobody can
    take now goes back to the queue. His pending follow-ups go with each lead: they are
    the lead's and are signed with its manager's name when they are sent."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        head = await uow.managers.by_telegram_id(head_telegram_id)
        if head is None or head.role != ROLE_HEAD or not head.active:
            return Handover(HandoverOutcome.NOT_HEAD)
        member = await uow.managers.by_telegram_id(member_telegram_id)
        if member is None:
            return Handover(HandoverOutcome.NOT_FOUND)
        leads = await uow.leads.held_or_offered(member.id)
        pool = {
            key: c
            for key, c in (await candidates(uow, now, ctx.config.work_calendar())).items()
            if key != member.id
        }
        managers = {m.id: m for m in await uow.managers.all()}
        moved: list[tuple[int, str]] = []
        waiting: list[int] = []
        for lead in leads:
            chosen = choose_manager(pool.values(), class_of(ctx, lead).min_level)
            if chosen is None:
                await uow.offers.close_pending(lead.id, "withdrawn", now)
                # Counted as offered to him, so distribution does not hand it straight back.
                uow.offers.add(lead.id, member.id, now, None)
                await uow.flush()
                await uow.offers.close_pending(lead.id, "excluded", now, "handed over")
                transitions.apply(lead, transitions.released(now))
                uow.events.add(
                    lead.id,
                    "released",
                    now,
                    actor=f"manager:{head.id}",
                    manager_id=head.id,
                    data={"from": member.id, "by": "handover"},
                )
                waiting.append(lead.id)
                await _close_member_card(ctx, uow, lead.id, member, "handover_card_waiting", head)
                continue
            target = managers[chosen.id]
            await _reassign(ctx, uow, lead, target, head, now, why="handover", tell_previous=False)
            target.last_offered_at = now
            pool[chosen.id] = Candidate(
                **{**chosen.__dict__, "last_offered_at": now, "open_leads": chosen.open_leads + 1}
            )
            moved.append((lead.id, target.name))
            await _close_member_card(
                ctx, uow, lead.id, member, "handover_card_moved", head, name=target.name
            )
        if leads and member.id != head.id:
            text = ctx.texts.get("handover_told_member", member.language, count=len(leads))
            await tell_staff(ctx, uow, member, cards.payload(text), purpose="notice")
        name = member.name
        await uow.commit()
    ctx.wake("outbox")
    if waiting:
        await distribute_waiting(ctx)
    return Handover(HandoverOutcome.DONE, name, moved, waiting)


async def _close_member_card(
    ctx: AppContext,
    uow: UnitOfWork,
    lead_id: int,
    member: Manager,
    key: str,
    head: Manager,
    **params: str,
) -> None:
    """His card of a lead handed over says where it went and keeps no buttons; the one
    message after the loop tells him how many went (no message per lead besides)."""
    text = ctx.texts.get(key, member.language, lead_id=lead_id, head=head.name, **params)
    await card_edits.close_card(ctx, uow, lead_id, member, text, or_tell=False)


async def holding_count(ctx: AppContext, member_telegram_id: int) -> int:
    """How many open leads he holds or has on offer (what a handover would move)."""
    async with ctx.db.uow() as uow:
        member = await uow.managers.by_telegram_id(member_telegram_id)
        if member is None:
            return 0
        counts = await uow.managers.open_lead_counts()
    return counts.get(member.id, 0)


async def pass_choices(
    ctx: AppContext, lead_id: int, head_telegram_id: int
) -> tuple[Verdict, list[list[dict[str, str]]], str]:
    """The buttons of «Передать»: every active manager but the lead's holder, by name
    (and «Взять себе»); also the head's language."""
    async with ctx.db.uow() as uow:
        head = await uow.managers.by_telegram_id(head_telegram_id)
        if head is None or head.role != ROLE_HEAD:
            return Verdict.NOT_YOURS, [], "ru"
        lead = await uow.leads.get(lead_id)
        if lead is None or not lead.is_open:
            return Verdict.STALE, [], head.language
        names = await pass_targets(uow, lead)
    return Verdict.DONE, cards.head_buttons(ctx.texts, head.language, lead_id, names), head.language


async def pass_targets(uow: UnitOfWork, lead: Lead) -> list[tuple[int, str]]:
    """Whom a head may pass the lead to: every active manager but its holder (the head
    takes it himself by «Взять себе»). Telegram's buttons and the lead page list these."""
    return [
        (member.id, member.name)
        for member in await uow.managers.all()
        if member.active and member.role != ROLE_HEAD and member.id != lead.manager_id
    ]
