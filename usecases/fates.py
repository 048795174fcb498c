"""Every outgoing message has a fate its sender can see. Called by the outbox worker in
the transaction that records a row's outcome: the manager learns whether his reply was
delivered (and a delivered reply is his first response, not a queued one); a card or a
ping that cannot reach a staff member is told to the heads, once a day per person."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from domain.delivery_fate import FATE_PURPOSES, TOLD_BY_CHANNEL, Failure, failure_of
from domain.escalation import hears_escalations
from storage.models import Manager
from storage.uow import UnitOfWork
from texts import Safe
from usecases import cards
from usecases.assignment import refresh_timer
from usecases.context import AppContext

log = logging.getLogger(__name__)

# Purposes whose fate is worth a head's attention when a staff member cannot get them.
_STAFF_WORK = frozenset({"offer", "card", "relay", "reminder", "escalation", "complaint"})


@dataclass(frozen=True)
class Sent:
    """What the outbox worker knows about a row whose outcome it records."""

    id: int
    channel: str
    chat_id: str
    purpose: str
    lead_id: int | None
    message_id: int | None
    notify_manager_id: int | None
    attempts: int


def reason_text(ctx: AppContext, failure: Failure, language: str) -> Safe:
    return ctx.texts.get(f"fate_reason_{failure.value}", language)


async def delivered(ctx: AppContext, uow: UnitOfWork, row: Sent, now: datetime) -> None:
    manager = await _notified(uow, row)
    if manager is None:
        return
    if row.message_id is not None and await uow.outbox.parts_unsent(row.message_id, row.id):
        return  # a long reply in parts: its fate is told once, with the last part
    if row.purpose == "reply" and row.lead_id is not None:
        lead = await uow.leads.get(row.lead_id)
        if lead is not None and lead.first_response_at is None:
            lead.first_response_at = now
            await refresh_timer(ctx, uow, lead)
    await _tell(
        ctx,
        uow,
        manager,
        row,
        "sent",
        ctx.texts.get("fate_delivered", manager.language, lead_id=row.lead_id or "—"),
    )


async def retrying(
    ctx: AppContext, uow: UnitOfWork, row: Sent, error: str | None, now: datetime
) -> None:
    """A transient failure: the sender hears "will retry" once, on the first one."""
    if row.message_id is not None:
        await uow.messages.set_delivery(
            row.message_id, "retrying", external_id=None, at=None, error=Failure.UNAVAILABLE
        )
    manager = await _notified(uow, row)
    if manager is None or row.attempts > 1:
        return
    language = manager.language
    text = ctx.texts.get(
        "fate_retrying",
        language,
        lead_id=row.lead_id or "—",
        reason=reason_text(ctx, Failure.UNAVAILABLE, language),
    )
    await _tell(ctx, uow, manager, row, "retry", text)


async def failed(
    ctx: AppContext, uow: UnitOfWork, row: Sent, status: str, error: str | None, now: datetime
) -> None:
    failure = failure_of(status, error, final=True)
    if row.message_id is not None:
        await uow.messages.set_delivery(
            row.message_id, "failed", external_id=None, at=None, error=failure
        )
        await uow.outbox.fail_unsent_parts(
            row.message_id, row.id, f"part {row.id} of this message failed: {error}"
        )
    if row.purpose in FATE_PURPOSES:
        return
    manager = await _notified(uow, row)
    if manager is None:
        if row.channel == "telegram" and row.purpose in _STAFF_WORK:
            await _staff_unreachable(ctx, uow, row, failure, now)
        return
    if failure not in TOLD_BY_CHANNEL:
        language = manager.language
        lead_id = row.lead_id or "—"
        text = ctx.texts.get(
            "fate_failed",
            language,
            lead_id=lead_id,
            reason=reason_text(ctx, failure, language),
            hint=ctx.texts.get(f"fate_hint_{failure.value}", language, lead_id=lead_id),
        )
        await _tell(ctx, uow, manager, row, "failed", text)
    if row.purpose == "reply" and row.lead_id is not None:
        # Reports must not count a reply nobody received as the first response.
        uow.events.add(
            row.lead_id,
            "reply_failed",
            now,
            manager_id=manager.id,
            data={"message_id": row.message_id, "reason": failure.value},
        )


async def _notified(uow: UnitOfWork, row: Sent) -> Manager | None:
    if row.notify_manager_id is None or row.purpose in FATE_PURPOSES:
        return None
    return await uow.managers.get(row.notify_manager_id)


async def _tell(
    ctx: AppContext, uow: UnitOfWork, manager: Manager, row: Sent, fate: str, text: Safe
) -> None:
    await uow.outbox.add(
        channel="telegram",
        chat_id=str(manager.telegram_id),
        purpose="fate",
        payload=cards.payload(text),
        now=ctx.clock.now(),
        lead_id=row.lead_id,
        # One word per fate and row, even if the outcome is recorded twice.
        dedupe_key=f"fate:{row.id}:{fate}",
    )


async def _staff_unreachable(
    ctx: AppContext, uow: UnitOfWork, row: Sent, failure: Failure, now: datetime
) -> None:
    if not row.chat_id.lstrip("-").isdigit():
        return
    person = await uow.managers.by_telegram_id(int(row.chat_id))
    if person is None:
        return
    if row.purpose == "offer" and row.lead_id is not None:
        lead = await uow.leads.get(row.lead_id)
        if lead is not None and lead.offered_manager_id == person.id:
            # He cannot see the offer: the next manager need not wait out its timer.
            lead.offer_expires_at = now
    log.warning("staff %s cannot be reached (%s): %s", person.id, row.purpose, failure.value)
    if failure in (Failure.NOT_STARTED, Failure.BLOCKED):
        # Kept until he writes to the bot (usecases.team.staff_seen): /team and the
        # head's /today name him, and a head can see it without a failed send today.
        if person.unreachable_since is None:
            person.unreachable_since = now
        person.unreachable_reason = failure.value
        ctx.caches.pop("roles", None)
    key = {Failure.NOT_STARTED: "staff_not_started", Failure.BLOCKED: "staff_blocked"}.get(
        failure, "staff_undelivered"
    )
    day = now.date().isoformat()
    for head in await uow.managers.heads():
        if head.id == person.id or not hears_escalations(head):
            continue
        text = ctx.texts.get(
            key,
            head.language,
            name=person.name,
            reason=reason_text(ctx, failure, head.language),
        )
        await uow.outbox.add(
            channel="telegram",
            chat_id=str(head.telegram_id),
            purpose="unreachable",
            payload=cards.payload(text),
            now=now,
            # Once a day per person and head, however many of his messages fail.
            dedupe_key=f"unreachable:{person.id}:{day}:to:{head.id}",
        )
