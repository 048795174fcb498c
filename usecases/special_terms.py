"""Special terms on a lead: the manager picks a kind on the card and types its size; the
head's rule (config/special_terms.py, domain/special_terms.py) grants it at once, or
sends every head «Одобрить» / «Отказать» with the lead's context, or refuses what is
above the most ever given. Every outcome is told to the manager, written in the lead's
history and kept in term_requests for the lead card and the reports.

A head's answer is checked by role (only a head answers) and by the request's state (a
pending request is answered once, by one conditional UPDATE), so a forged press, a
made-up request id or a second press changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.lead_access import ROLE_HEAD
from domain.special_terms import (
    Decision,
    RequestStatus,
    TermKind,
    TermValueError,
    answered,
    decide,
    parse_value,
)
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from texts import Safe
from usecases import cards
from usecases.acting import acting_on
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.money_text import format_money
from usecases.staffing import tell_staff
from usecases.terms_text import limit_text, max_text, rule_text, term_text


@dataclass(frozen=True)
class Submitted:
    """What became of a typed value. `keep_asking`: the answer was no usable value (its
    reason is queued to the manager) and the question stays open."""

    verdict: Verdict
    keep_asking: bool = False


def offered_kinds(ctx: AppContext) -> list[TermKind]:
    return list(ctx.config.special_terms.rules())


def _kind(ctx: AppContext, value: str) -> TermKind | None:
    try:
        kind = TermKind(value)
    except ValueError:
        return None
    return kind if kind in ctx.config.special_terms.rules() else None


async def _say(
    ctx: AppContext,
    uow: UnitOfWork,
    person: Manager,
    text: str,
    buttons: Any = None,
    lead_id: int | None = None,
) -> None:
    await tell_staff(
        ctx, uow, person, cards.payload(text, buttons), purpose="staff", lead_id=lead_id
    )


async def choose(ctx: AppContext, lead_id: int, telegram_id: int) -> Verdict:
    """«Особые условия» on the card: the kinds to pick from (or that there are none)."""
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id, for_update=False)
        if isinstance(acting, Verdict):
            return acting
        person = acting.manager
        assert person is not None
        language = person.language
        kinds = [kind.value for kind in offered_kinds(ctx)]
        if kinds:
            text = ctx.texts.get("terms_choose", language, lead_id=lead_id)
            buttons = cards.terms_kind_buttons(ctx.texts, language, lead_id, kinds)
            await _say(ctx, uow, person, text, buttons, lead_id)
        else:
            await _say(ctx, uow, person, ctx.texts.get("terms_off", language))
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


async def ask(ctx: AppContext, lead_id: int, telegram_id: int, kind_value: str) -> Verdict:
    """A kind picked: its question, with the rule as it applies to the asker."""
    kind = _kind(ctx, kind_value)
    if kind is None:
        return Verdict.STALE
    rule = ctx.config.special_terms.rules()[kind]
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id, for_update=False)
        if isinstance(acting, Verdict):
            return acting
        person = acting.manager
        assert person is not None
        language = person.language
        explained = rule_text(ctx.texts, language, kind, rule, person.role, person.level)
        text = ctx.texts.get(f"ask_term_{kind.value}", language, lead_id=lead_id, rule=explained)
        await _say(ctx, uow, person, text, lead_id=lead_id)
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


async def submit(
    ctx: AppContext, lead_id: int, telegram_id: int, kind_value: str, text: str
) -> Submitted:
    """The typed size: granted, sent to the heads, or answered with what is wrong."""
    kind = _kind(ctx, kind_value)
    if kind is None:
        return Submitted(Verdict.STALE)
    rule = ctx.config.special_terms.rules()[kind]
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id)
        if isinstance(acting, Verdict):
            return Submitted(acting)
        lead, person = acting.lead, acting.manager
        assert person is not None
        language = person.language
        try:
            value = parse_value(kind, text)
        except TermValueError as problem:
            key = f"term_value_{problem.problem.value}"
            await _say(ctx, uow, person, ctx.texts.get(key, language), lead_id=lead_id)
            await uow.commit()
            ctx.wake("outbox")
            return Submitted(Verdict.DONE, keep_asking=True)
        decision = decide(rule, person.role, person.level, value)
        limit = rule.limit_for(person.role, person.level)
        term = term_text(ctx.texts, language, kind, value)
        words = {
            "lead_id": lead_id,
            "term": term,
            "limit": limit_text(ctx.texts, language, kind, limit),
            "max": max_text(ctx.texts, language, kind, rule.max),
        }
        keep_asking = False
        if decision is Decision.OVER_MAX:
            reply, keep_asking = ctx.texts.get("terms_over_max", language, **words), True
        elif (pending := await uow.terms.pending_of_kind(lead.id, kind.value)) is not None:
            waiting = term_text(ctx.texts, language, kind, pending.value)
            reply = ctx.texts.get("terms_already_pending", language, lead_id=lead_id, term=waiting)
        elif decision is Decision.GRANTED:
            request = await uow.terms.add(
                lead_id=lead.id,
                manager_id=person.id,
                kind=kind.value,
                value=value,
                auto_limit=limit,
                status=RequestStatus.APPROVED,
                created_at=now,
                decided_at=now,
            )
            _record(uow, lead, request, "terms_granted", person, now, by="rule")
            reply = ctx.texts.get("terms_granted", language, **words)
        elif not await uow.managers.heads():
            reply = ctx.texts.get("terms_no_head", language, **words)
        else:
            request = await uow.terms.add(
                lead_id=lead.id,
                manager_id=person.id,
                kind=kind.value,
                value=value,
                auto_limit=limit,
                status=RequestStatus.PENDING,
                created_at=now,
            )
            _record(uow, lead, request, "terms_requested", person, now)
            await _ask_heads(ctx, uow, lead, person, request, kind)
            reply = ctx.texts.get("terms_sent_to_head", language, **words)
        await _say(ctx, uow, person, reply, lead_id=lead_id)
        await uow.commit()
    ctx.wake("outbox")
    return Submitted(Verdict.DONE, keep_asking=keep_asking)


def _record(
    uow: UnitOfWork, lead: Lead, request: Any, kind: str, actor: Manager, now: Any, **extra: Any
) -> None:
    uow.events.add(
        lead.id,
        kind,
        now,
        actor=f"manager:{actor.id}",
        manager_id=actor.id,
        data={
            "request_id": request.id,
            "kind": request.kind,
            "value": request.value,
            "requested_by": request.manager_id,
            **extra,
        },
    )


async def _ask_heads(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, asker: Manager, request: Any, kind: TermKind
) -> None:
    """Every head gets the request with the lead's context and the two buttons."""
    contact = await uow.contacts.get(lead.contact_id)
    customer = (contact.display_name or contact.username if contact else None) or "—"
    rule = ctx.config.special_terms.rules()[kind]
    for head in await uow.managers.heads():
        language = head.language
        amount = (
            format_money(ctx.texts, language, lead.amount_minor, lead.currency)
            if lead.amount_minor is not None and lead.currency
            else ctx.texts.get("terms_amount_none", language)
        )
        text = ctx.texts.get(
            "terms_head_request",
            language,
            lead_id=lead.id,
            term=term_text(ctx.texts, language, kind, request.value),
            manager=asker.name,
            level=ctx.texts.get(f"level_{asker.level}", language),
            customer=customer,
            stage=cards.stage_name(ctx.texts, language, lead.status),
            amount=amount,
            limit=limit_text(ctx.texts, language, kind, request.auto_limit),
            max=max_text(ctx.texts, language, kind, rule.max),
        )
        buttons = cards.terms_answer_buttons(ctx.texts, language, request.id)
        await _say(ctx, uow, head, text, buttons, lead.id)


async def answer(ctx: AppContext, request_id: int, telegram_id: int, approve: bool) -> str:
    """A head's «Одобрить» / «Отказать»; the text key of the toast. Anyone else's press,
    a request that does not exist or was answered, a closed lead: nothing changes."""
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        head = await uow.managers.by_telegram_id(telegram_id)
        if head is None or not head.active or head.role != ROLE_HEAD:
            return "terms_head_only"
        request = await uow.terms.get(request_id)
        if request is None:
            return "stale"
        status = answered(request.status, approve)
        if status is None:
            return "terms_already_answered"
        lead = await uow.leads.get_for_update(request.lead_id)
        if lead is None or not lead.is_open:
            return "terms_lead_closed"
        if not await uow.terms.answer(request.id, status, head.id, now):
            return "terms_already_answered"  # another head was first
        event = "terms_granted" if status is RequestStatus.APPROVED else "terms_declined"
        _record(uow, lead, request, event, head, now, by="head")
        asker = await uow.managers.get(request.manager_id)
        kind = TermKind(request.kind)
        if asker is not None:
            key = "terms_approved_by_head" if approve else "terms_declined_by_head"
            term = term_text(ctx.texts, asker.language, kind, request.value)
            told = ctx.texts.get(key, asker.language, lead_id=lead.id, term=term, head=head.name)
            await _say(ctx, uow, asker, told, lead_id=lead.id)
        key = "terms_head_approved" if approve else "terms_head_declined"
        term = term_text(ctx.texts, head.language, kind, request.value)
        manager = asker.name if asker is not None else "—"
        done = ctx.texts.get(key, head.language, lead_id=lead.id, term=term, manager=manager)
        await _say(ctx, uow, head, done, lead_id=lead.id)
        await uow.commit()
    ctx.wake("outbox")
    return "toast_terms_approved" if approve else "toast_terms_declined"


async def granted_line(ctx: AppContext, uow: UnitOfWork, lead_id: int, language: str) -> Safe:
    """«💸 Особые условия: скидка 15 %, рассрочка на 6 месяцев» for the lead card; empty
    when nothing is granted."""
    granted = await uow.terms.granted_for_lead(lead_id)
    if not granted:
        return Safe("")
    terms = ", ".join(
        term_text(ctx.texts, language, TermKind(item.kind), item.value) for item in granted
    )
    return ctx.texts.get("terms_granted_line", language, terms=Safe(terms))
