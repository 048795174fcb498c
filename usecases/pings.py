"""What a ping to the head says about a lead: the customer, the first words of his
question, the lead's class and why nobody holds it (from the lead's offer history); and
the one summary ping that replaces single pings during a burst."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.buttons import LeadButton, lead_button
from domain.delivery_fate import Failure, failure_of
from domain.sla import is_breach
from storage.models import Lead
from storage.uow import UnitOfWork
from texts import Safe, Texts
from usecases import cards
from usecases.context import AppContext
from usecases.labels import class_label
from usecases.staffing import candidates, class_of, tell_staff

QUESTION_WORDS = 8
QUESTION_CHARS = 60
# More escalation pings than this to one head within BURST_WINDOW: the rest wait for one
# summary ping, sent once the burst has been quiet for SUMMARY_QUIET (or is a window old).
BURST_LIMIT = 3
BURST_WINDOW = timedelta(minutes=1)
SUMMARY_QUIET = timedelta(seconds=10)
# One summary message: its lines and buttons stay under Telegram's limits (4096
# characters, 100 buttons); a longer burst takes several.
SUMMARY_LEADS = 30
SUMMARY_ASSIGNEES = 2


@dataclass(frozen=True)
class Offered:
    name: str
    outcome: str  # pending, accepted, declined, expired, withdrawn, excluded
    reason: str | None
    not_started: bool


@dataclass(frozen=True)
class LeadFacts:
    lead_id: int
    customer: str
    question: str
    lead_class: str
    offers: tuple[Offered, ...]


def first_words(text: str, words: int = QUESTION_WORDS, chars: int = QUESTION_CHARS) -> str:
    every = text.split()
    short = " ".join(every[:words])
    if len(short) > chars:
        short = short[: chars - 1].rstrip()
    return short + ("…" if short != " ".join(every) else "")


async def lead_facts(uow: UnitOfWork, lead: Lead) -> LeadFacts:
    contact = await uow.contacts.get(lead.contact_id)
    first = await uow.messages.first_inbound(lead.id)
    offers = []
    for offer in await uow.offers.history(lead.id):
        manager = await uow.managers.get(offer.manager_id)
        if manager is None or offer.outcome == "excluded":
            continue
        sent = await uow.outbox.latest(lead.id, str(manager.telegram_id), "offer")
        not_started = (
            sent is not None
            and sent.status == "failed"
            and failure_of("failed", sent.last_error) is Failure.NOT_STARTED
        )
        offers.append(Offered(manager.name, offer.outcome, offer.reason, not_started))
    customer = ""
    if contact is not None:
        customer = contact.display_name or contact.username or ""
    return LeadFacts(
        lead.id,
        customer,
        first.text if first is not None and first.text else "",
        lead.lead_class or "",
        tuple(offers),
    )


def reason_text(texts: Texts, language: str, facts: LeadFacts) -> Safe:
    """Why nobody holds the lead: each manager who had it and how that ended."""
    parts = []
    for offer in facts.offers:
        if offer.not_started:
            parts.append(texts.get("ping_reason_not_started", language, name=offer.name))
        elif offer.outcome == "expired":
            parts.append(texts.get("ping_reason_expired", language, name=offer.name))
        elif offer.outcome == "declined" and offer.reason:
            parts.append(
                texts.get("ping_reason_declined_why", language, name=offer.name, why=offer.reason)
            )
        elif offer.outcome == "declined":
            parts.append(texts.get("ping_reason_declined", language, name=offer.name))
    if not parts:
        return texts.get("ping_reason_none", language)
    return Safe("; ".join(parts))


def about(texts: Texts, language: str, facts: LeadFacts, *, short: bool = False) -> Safe:
    """The customer, his question and the class, for any ping about the lead (`short`:
    fewer words of the question, for a line of the summary)."""
    question = first_words(facts.question, 5, 40) if short else first_words(facts.question)
    return texts.get(
        "ping_about_short" if short else "ping_about",
        language,
        customer=facts.customer or texts.get("ping_no_name", language),
        question=question or texts.get("ping_no_question", language),
        lead_class=class_label(texts, language, facts.lead_class),
    )


async def assignees(ctx: AppContext, uow: UnitOfWork, lead: Lead) -> list[tuple[int, str]]:
    """Who the head may hand the lead to: eligible for its class now."""
    pool = await candidates(uow, ctx.clock.now(), ctx.config.work_calendar())
    min_level = class_of(ctx, lead).min_level
    return [
        (manager.id, manager.name)
        for manager in await uow.managers.all()
        if (chosen := pool.get(manager.id)) is not None and chosen.eligible(min_level)
    ]


async def in_burst(ctx: AppContext, uow: UnitOfWork, now: datetime) -> bool:
    """Has any head had more than a few escalation pings in the last minute?"""
    since = now - BURST_WINDOW
    for head in await uow.managers.heads():
        sent = await uow.outbox.count_since(
            str(head.telegram_id), ("escalation", "escalation_summary"), since
        )
        if sent >= BURST_LIMIT:
            return True
    return False


async def send_summaries(ctx: AppContext) -> int:
    """Tell the heads, in one message per SUMMARY_LEADS leads, the escalations held back
    during a burst, once it has calmed down; returns how many leads were summarised."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        held = await uow.alerts.held(SUMMARY_LEADS * 10)
        if not held:
            return 0
        newest = max(alert.at for alert in held)
        oldest = min(alert.at for alert in held)
        if now - newest < SUMMARY_QUIET and now - oldest < BURST_WINDOW:
            return 0
        summarised = 0
        for start in range(0, len(held), SUMMARY_LEADS):
            chunk = held[start : start + SUMMARY_LEADS]
            leads: list[tuple[Lead, LeadFacts, list[tuple[int, str]]]] = []
            late: list[tuple[Lead, LeadFacts, str]] = []
            for alert in chunk:
                lead = await uow.leads.get(alert.lead_id)
                if lead is None or not lead.is_open:
                    continue
                if lead.manager_id is None:
                    leads.append(
                        (lead, await lead_facts(uow, lead), await assignees(ctx, uow, lead))
                    )
                elif is_breach(alert.kind):
                    # Taken since it was held, but the deadline was missed all the same:
                    # the head hears of it, without buttons to hand it out.
                    holder = await uow.managers.get(lead.manager_id)
                    late.append((lead, await lead_facts(uow, lead), holder.name if holder else ""))
            await uow.alerts.release([alert.id for alert in chunk])
            if not leads and not late:
                continue
            summarised += len(leads) + len(late)
            for head in await uow.managers.heads():
                await tell_staff(
                    ctx,
                    uow,
                    head,
                    _summary(ctx.texts, head.language, leads, late),
                    purpose="escalation_summary",
                    dedupe_key=f"summary:{chunk[0].id}",
                )
        await uow.commit()
    if summarised:
        ctx.wake("outbox")
    return summarised


def _summary(
    texts: Texts,
    language: str,
    leads: list[tuple[Lead, LeadFacts, list[tuple[int, str]]]],
    late: Sequence[tuple[Lead, LeadFacts, str]],
) -> dict[str, object]:
    lines = []
    if leads:
        lines.append(texts.get("ping_summary_header", language, count=len(leads)))
    rows = []
    for lead, facts, names in leads:
        lines.append(
            texts.get(
                "ping_summary_line",
                language,
                lead_id=lead.id,
                about=about(texts, language, facts, short=True),
                reason=reason_text(texts, language, facts),
            )
        )
        row = [
            {
                "text": str(texts.get("btn_take_lead", language, lead_id=lead.id)),
                "callback_data": lead_button(LeadButton.TAKE, lead.id),
            }
        ]
        row += [
            {
                "text": str(texts.get("btn_assign_lead", language, lead_id=lead.id, name=name)),
                "callback_data": lead_button(LeadButton.ASSIGN_TO, lead.id, str(manager_id)),
            }
            for manager_id, name in names[:SUMMARY_ASSIGNEES]
        ]
        rows.append(row)
    if late:
        if lines:
            lines.append("")
        lines.append(texts.get("ping_summary_late_header", language, count=len(late)))
        for lead, facts, holder in late:
            lines.append(
                texts.get(
                    "ping_summary_late_line",
                    language,
                    lead_id=lead.id,
                    about=about(texts, language, facts, short=True),
                    name=holder or texts.get("nobody", language),
                )
            )
    return cards.payload(Safe("\n".join(lines)), rows)
