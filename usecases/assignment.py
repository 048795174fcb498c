"""Offering leads to managers, accepting, declining, passing on, and the head's hand."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from config.business import AssignmentMode, DistributionMode
from domain import escalation as escalations
from domain import lead_transitions as transitions
from domain import webhooks as hooks
from domain.assignment import Candidate, choose_manager
from domain.sla import LeadClock, due_timers
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from texts import Safe
from usecases import card_edits, cards, conversation, gate_views, next_step_timers, pings, sla_pause
from usecases.context import AppContext
from usecases.escalations import claim, escalate, tell
from usecases.outage import is_outage
from usecases.relay import queue_copies
from usecases.replies import format_span
from usecases.retry_policy import lead_work_failed
from usecases.staffing import ROLE_HEAD, candidates, class_of, tell_staff
from usecases.webhooks import lead_event

log = logging.getLogger(__name__)


class Verdict(StrEnum):
    DONE = "done"
    STALE = "stale"  # the lead moved on since the button was drawn
    NOT_YOURS = "not_yours"
    # The channel lets the business only answer and the customer has not written in this
    # lead (Avito): writing to him first is refused (usecases/answer_only.py).
    ANSWER_ONLY = "answer_only"
    # The stage's gate is not met: questions unanswered or fields empty (usecases/gates.py).
    GATE = "gate"


def lead_clock(ctx: AppContext, lead: Lead) -> LeadClock:
    # The clocks count the company's working time only (domain/sla.py): a lead written at
    # 3 a.m. or on a holiday starts them when the team is at work.
    return LeadClock(
        created_at=lead.created_at,
        status=lead.status,
        stage_entered_at=lead.stage_entered_at,
        first_response_at=lead.first_response_at,
        is_open=lead.is_open,
        paused_since=lead.sla_paused_since,
        paused_for=sla_pause.paused_for(lead),
    )


async def refresh_timer(ctx: AppContext, uow: UnitOfWork, lead: Lead) -> None:
    """Recompute when this lead's next SLA timer is due, after any change to it."""
    fired = await uow.alerts.keys(lead.id)
    due, later = due_timers(lead_clock(ctx, lead), ctx.config.sla_policy(), ctx.clock.now(), fired)
    lead.next_timer_at = ctx.clock.now() if due else later


async def send_card(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    manager: Manager,
    *,
    offer: bool,
    with_media: bool = True,
    accepted: bool = False,
) -> None:
    """The lead's card with its latest messages; the customer's files follow it as copies
    (`with_media` False when this manager has just seen them on the offer). `accepted`:
    the offer card he pressed becomes this one, edited in place (card_edits.py)."""
    contact = await uow.contacts.get(lead.contact_id)
    recent, total = await uow.messages.recent(lead.id, conversation.CARD_MESSAGES)
    language = manager.language
    now = ctx.clock.now()
    if offer:
        timeout = format_span(ctx.texts, ctx.config.sla.accept_timeout, language)
        header = ctx.texts.get("offer_header", language, timeout=timeout)
        buttons = cards.offer_buttons(ctx.texts, language, lead.id)
    else:
        header = ctx.texts.get(
            "accepted" if accepted else "assigned_header", language, lead_id=lead.id
        )
        buttons = cards.work_buttons(
            ctx.texts,
            language,
            lead.id,
            lead.status,
            steps=ctx.config.next_steps.enabled,
            terms=bool(ctx.config.special_terms.rules()),
        )
        if manager.role == ROLE_HEAD:
            buttons += cards.head_rows(ctx.texts, language, lead.id)
    text = cards.card_text(
        ctx.texts,
        language,
        lead=lead,
        contact=contact,
        conversation=conversation.card_conversation(ctx.texts, language, lead.id, recent, total),
        now=now,
        header=header,
    )
    edit = await card_edits.card_message_id(uow, lead.id, manager, ("offer",)) if accepted else None
    if not offer:
        playbook, rows = await gate_views.card_part(ctx, uow, lead, language)
        text, buttons = Safe(text + playbook), buttons + rows
    await tell_staff(
        ctx,
        uow,
        manager,
        card_edits.replacing(cards.payload(text, buttons), edit),
        purpose="offer" if offer else "card",
        lead_id=lead.id,
    )
    if with_media:
        await queue_copies(ctx, uow, manager, lead.id, [m for m in recent if m.direction == "in"])


async def _eligible_names(
    uow: UnitOfWork, pool: dict[int, Candidate], min_level: str
) -> list[tuple[int, str]]:
    names = []
    for manager in await uow.managers.all():
        chosen = pool.get(manager.id)
        if chosen is not None and chosen.eligible(min_level):
            names.append((manager.id, manager.name))
    return names


async def escalate_no_taker(ctx: AppContext, uow: UnitOfWork, lead: Lead) -> None:
    now = ctx.clock.now()
    lead.needs_head = True
    escalation = escalations.no_taker(lead.id, lead.pass_count)
    if not await claim(ctx, uow, escalation):
        return
    await uow.flush()  # the offer just closed is part of the story told
    pool = await candidates(uow, now, ctx.config.work_calendar())
    names = await _eligible_names(uow, pool, class_of(ctx, lead).min_level)
    facts = await pings.lead_facts(uow, lead)
    await tell(
        ctx,
        uow,
        escalation,
        lambda language: cards.payload(
            ctx.texts.get(
                "head_no_taker",
                language,
                lead_id=lead.id,
                passes=lead.pass_count,
                about=pings.about(ctx.texts, language, facts),
                reason=pings.reason_text(ctx.texts, language, facts),
            ),
            cards.head_buttons(ctx.texts, language, lead.id, names),
        ),
    )


async def distribute_waiting(ctx: AppContext, limit: int = 100) -> int:
    """Offer (or assign) every waiting lead that someone can take; queue the rest.

    One distributor at a time (a lock), so capacities hold with several processes. Each
    lead in its own savepoint: one that fails (a broken row, a card that cannot be built)
    backs off with the timed work's policy, logged once per attempt, then is left to the
    head, and holds back none of the others. Returns how many leads went to a manager.
    """
    async with ctx.db.uow() as uow:
        if not await uow.lock("distribute"):
            return 0
        now = ctx.clock.now()
        pool = await candidates(uow, now, ctx.config.work_calendar())
        # Nobody can take anything now (night, everyone full): only new arrivals need
        # queueing, and the queue itself waits untouched — no work per queued lead.
        nobody = not any(c.eligible("junior") for c in pool.values())
        leads = await uow.leads.waiting(now, limit, unqueued_only=nobody)
        if not leads:
            return 0
        managers = {manager.id: manager for manager in await uow.managers.all()}
        state = _Round(queue_was_empty=await uow.leads.count_queued() == 0)
        for lead in leads:
            lead_id = lead.id
            try:
                async with uow.savepoint():
                    await _distribute_one(ctx, uow, lead, pool, managers, state, now)
            except Exception as exc:
                if is_outage(exc):
                    raise
                await lead_work_failed(uow, lead_id, "distribution", exc, now)
                # The savepoint's rollback expired what it had touched (a manager's
                # last offer): loaded again here, not lazily later.
                managers = {manager.id: manager for manager in await uow.managers.all()}
        await uow.commit()
    if state.handed:
        ctx.wake("outbox")
    return state.handed


@dataclass
class _Round:
    """What one distribution round carries from lead to lead."""

    queue_was_empty: bool
    handed: int = 0


async def _distribute_one(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    pool: dict[int, Candidate],
    managers: dict[int, Manager],
    state: _Round,
    now: datetime,
) -> None:
    lead_class = class_of(ctx, lead)
    if not any(c.eligible(lead_class.min_level) for c in pool.values()):
        await _queue(ctx, uow, lead, now, tell=state.queue_was_empty)
        state.queue_was_empty = False
        uow.leads.distributed(lead)
        return
    exclude = frozenset(await uow.offers.offered_managers(lead.id))
    # `personal`: a returning customer's manager first; `pool`: nobody owns him.
    preferred = (
        await uow.leads.previous_manager(lead.contact_id, lead.id)
        if ctx.config.distribution.assignment is AssignmentMode.PERSONAL
        else None
    )
    chosen = choose_manager(
        pool.values(), lead_class.min_level, exclude=exclude, preferred=preferred
    )
    if chosen is None:
        # Eligible people exist but all had their chance with this lead.
        await escalate_no_taker(ctx, uow, lead)
        uow.leads.distributed(lead)
        return
    await _hand_over(ctx, uow, lead, managers[chosen.id], now)
    uow.leads.distributed(lead)
    # Counted only once the savepoint holds: a lead that failed took nobody's turn.
    await uow.flush()
    pool[chosen.id] = Candidate(
        **{**chosen.__dict__, "last_offered_at": now, "open_leads": chosen.open_leads + 1}
    )
    state.handed += 1


async def _queue(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, now: datetime, *, tell: bool
) -> None:
    if lead.queued_at is not None:
        return
    lead.queued_at = now
    uow.events.add(lead.id, "queued", now)
    if tell:
        waiting = await uow.leads.count_queued() + 1
        await escalate(
            ctx,
            uow,
            escalations.queue_started(lead.id),
            lambda language: cards.payload(
                ctx.texts.get("head_queue", language, lead_id=lead.id, waiting=waiting)
            ),
        )


async def _hand_over(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, manager: Manager, now: datetime
) -> None:
    manager.last_offered_at = now
    if ctx.config.distribution.mode is DistributionMode.ROTATION:
        transitions.apply(lead, transitions.assigned_by_rotation(manager.id, now))
        uow.events.add(
            lead.id, "assigned", now, data={"manager_id": manager.id, "mode": "rotation"}
        )
        await lead_event(ctx, uow, hooks.LEAD_ASSIGNED, lead)
        await send_card(ctx, uow, lead, manager, offer=False)
        await next_step_timers.lead_held(ctx, uow, lead)
        return
    transitions.apply(
        lead, transitions.offered(manager.id, now, now + ctx.config.sla.accept_timeout)
    )
    uow.offers.add(lead.id, manager.id, now, lead.offer_expires_at)
    uow.events.add(
        lead.id, "offered", now, data={"manager_id": manager.id, "pass": lead.pass_count}
    )
    await send_card(ctx, uow, lead, manager, offer=True)


async def accept(ctx: AppContext, lead_id: int, telegram_id: int) -> Verdict:
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        lead = await uow.leads.get_for_update(lead_id)
        manager = await uow.managers.by_telegram_id(telegram_id)
        if lead is None or manager is None:
            return Verdict.STALE
        if lead.offered_manager_id != manager.id:
            return (
                Verdict.STALE
                if lead.manager_id == manager.id or not lead.is_open
                else Verdict.NOT_YOURS
            )
        if not lead.is_open or (lead.offer_expires_at and lead.offer_expires_at <= now):
            return Verdict.STALE
        transitions.apply(lead, transitions.accepted(manager.id, now))
        await uow.offers.close_pending(lead.id, "accepted", now)
        uow.events.add(
            lead.id, "accepted", now, actor=f"manager:{manager.id}", manager_id=manager.id
        )
        await lead_event(ctx, uow, hooks.LEAD_ASSIGNED, lead)
        await send_card(ctx, uow, lead, manager, offer=False, with_media=False, accepted=True)
        await next_step_timers.lead_held(ctx, uow, lead)
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


async def decline(
    ctx: AppContext, lead_id: int, telegram_id: int, reason: str | None = None
) -> Verdict:
    """Takes effect at once; a reason typed afterwards is attached by work.decline_reason."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        lead = await uow.leads.get_for_update(lead_id)
        manager = await uow.managers.by_telegram_id(telegram_id)
        if lead is None or manager is None or not lead.is_open:
            return Verdict.STALE
        if lead.offered_manager_id != manager.id:
            return Verdict.STALE if lead.manager_id else Verdict.NOT_YOURS
        await uow.offers.close_pending(lead.id, "declined", now, reason)
        await _pass_on(ctx, uow, lead, now, "declined", manager, reason)
        text = ctx.texts.get("offer_card_declined", manager.language, lead_id=lead.id)
        await card_edits.close_card(
            ctx, uow, lead.id, manager, text, purposes=("offer",), or_tell=False
        )
        await uow.commit()
    await distribute_waiting(ctx)
    return Verdict.DONE


async def _pass_on(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    now: datetime,
    why: str,
    manager: Manager,
    reason: str | None = None,
) -> None:
    transitions.apply(lead, transitions.offer_passed(lead.pass_count))
    uow.events.add(
        lead.id,
        why,
        now,
        actor=f"manager:{manager.id}" if why == "declined" else "system",
        manager_id=manager.id,
        data={"pass": lead.pass_count, "reason": reason},
    )
    if lead.pass_count >= ctx.config.sla.max_passes:
        await escalate_no_taker(ctx, uow, lead)


async def expire_offers(ctx: AppContext) -> int:
    """Offers nobody accepted in time pass on to the next manager."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        leads = await uow.leads.expired_offers(now)
        for lead in leads:
            lead_id = lead.id
            try:
                async with uow.savepoint():
                    await _expire_offer(ctx, uow, lead, now)
            except Exception as exc:
                if is_outage(exc):
                    raise
                # Backs off, then gives up: one broken offer must not stop the others.
                await lead_work_failed(uow, lead_id, "offer", exc, now)
        await uow.commit()
    if leads:
        await distribute_waiting(ctx)
        ctx.wake("outbox")
    return len(leads)


async def _expire_offer(ctx: AppContext, uow: UnitOfWork, lead: Lead, now: datetime) -> None:
    manager = await uow.managers.get(lead.offered_manager_id or 0)
    if manager is None:
        raise LookupError(f"offered manager {lead.offered_manager_id} is gone")
    await uow.offers.close_pending(lead.id, "expired", now)
    lead.offer_failures = 0
    await _pass_on(ctx, uow, lead, now, "offer_expired", manager)
    text = ctx.texts.get("offer_card_expired", manager.language, lead_id=lead.id)
    await card_edits.close_card(ctx, uow, lead.id, manager, text, purposes=("offer",))
