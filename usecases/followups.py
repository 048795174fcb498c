"""Follow-up sequences: scheduled as rows when a lead event happens, dispatched when due.

Dispatch locks due rows for its own transaction (others skip them), checks the stop
conditions, quiet hours and the daily cap, and queues the message in the outbox in that
same transaction: a step is queued exactly once, whatever crashes or runs twice. A batch
is handled as a set (usecases/followup_batch.py: a few reads, multi-row writes, one
commit), with the same decisions (_handle) as the step-by-step path it falls back on.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import Any

from config.followups import FollowupSequence, SequenceStep
from domain.followups import day_start, fill, next_day_start
from storage.models import FollowupStep, Lead
from storage.repos.step_batch import DueStep
from storage.uow import UnitOfWork
from texts import language_of
from usecases.answer_only import writes_first
from usecases.context import AppContext
from usecases.followup_batch import OwnStepNeeded, load_view, split
from usecases.outage import is_outage
from usecases.retry_policy import TIMED_WORK, error_text

log = logging.getLogger(__name__)
BATCH = 500


def _sequences(ctx: AppContext) -> dict[str, FollowupSequence]:
    return {seq.name: seq for seq in ctx.config.followups.sequences if seq.enabled}


async def on_lead_event(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, event: str, *, stage: str | None = None
) -> None:
    """Cancel the steps this event makes pointless, then schedule the sequences it starts.

    Events: lead_created, stage_entered, won, lost, manager_replied, customer_replied.
    """
    now = ctx.clock.now()
    sequences = _sequences(ctx)
    stops = {
        "stage_entered": ("stage_changed",),
        "won": ("stage_changed", "lead_closed"),
        "lost": ("stage_changed", "lead_closed"),
        "customer_replied": ("customer_replied", "any_activity"),
        "manager_replied": ("any_activity",),
    }.get(event, ())
    to_cancel = [s.name for s in sequences.values() if set(s.stop_when) & set(stops)]
    if event in ("customer_replied", "manager_replied"):
        # Activity restarts the "no activity" clock.
        to_cancel += [s.name for s in sequences.values() if s.trigger.event == "no_activity"]
    if to_cancel:
        await uow.steps.cancel(lead.id, sorted(set(to_cancel)), f"stopped by {event}", now)
    for sequence in sequences.values():
        trigger = sequence.trigger
        starts = trigger.event == event and (trigger.stage in (None, stage))
        idle = trigger.event == "no_activity" and event in (
            "lead_created",
            "customer_replied",
            "manager_replied",
        )
        if not (starts or idle):
            continue
        due = now + ((trigger.after or timedelta(0)) if idle else timedelta(0))
        key = f"{event}:{int(now.timestamp() * 1000)}"
        for index, step in enumerate(sequence.steps):
            due += step.delay
            await uow.steps.schedule(
                sequence=sequence.name,
                step=index,
                trigger_key=key,
                lead_id=lead.id,
                contact_id=lead.contact_id,
                due_at=due,
                created_at=now,
            )


async def dispatch_due(ctx: AppContext, limit: int = BATCH, *, as_set: bool = True) -> int:
    """Handle one batch of due steps; returns how many rows were handled. `as_set=False`
    takes the step-by-step path for the whole batch (what the set falls back on)."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        if as_set:
            rows: list[Any] = await uow.steps.batch.claim_due(now, limit)
            await _dispatch_set(ctx, uow, rows, now)
        else:
            rows = await uow.steps.lock_due(now, limit)
            await _dispatch_each(ctx, uow, rows, now)
        await uow.commit()
    if rows:
        ctx.wake("outbox")
    return len(rows)


async def _dispatch_each(
    ctx: AppContext, uow: UnitOfWork, rows: list[FollowupStep], now: datetime
) -> None:
    for row in rows:
        step_id, attempts = row.id, row.attempts or 0
        try:
            async with uow.savepoint():
                await _handle(ctx, uow, row, now)
        except Exception as exc:
            if is_outage(exc):
                raise
            # One broken step must not hold back the others: it backs off, and after
            # the last attempt it is kept failed with its error.
            await _step_failed(uow, step_id, attempts + 1, exc, now)


async def _dispatch_set(
    ctx: AppContext, uow: UnitOfWork, rows: list[DueStep], now: datetime
) -> None:
    """The batch's reads in a few queries, _handle's decisions step by step in Python, its
    writes in multi-row statements; a batch whose writes fail goes step by step instead."""
    sequences = _sequences(ctx)
    together, alone = split(sequences, rows)
    view = await load_view(uow, sequences, together, now)
    handled: list[tuple[DueStep, dict[str, Any]]] = []
    failures: list[tuple[DueStep, Exception]] = []
    for row in together:
        before = row.outcome()
        view.writes.begin()
        try:
            await _handle(ctx, view, row, now)  # type: ignore[arg-type]
        except Exception as exc:
            if is_outage(exc):
                raise
            for field, value in before.items():
                setattr(row, field, value)
            if isinstance(exc, OwnStepNeeded):
                alone.append(row)
            else:
                failures.append((row, exc))
            continue
        view.writes.keep()
        handled.append((row, before))
    try:
        async with uow.savepoint():
            await view.write(uow, handled)
            for row, exc in failures:
                await _step_failed(uow, row.id, (row.attempts or 0) + 1, exc, now)
    except Exception as exc:
        if is_outage(exc):
            raise
        log.warning(
            "follow-up batch of %s steps not written (%s); step by step instead",
            len(together),
            error_text(exc),
        )
        alone = list(rows)
    if alone:
        order = {row.id: index for index, row in enumerate(rows)}
        ids = sorted((row.id for row in alone), key=order.__getitem__)
        await _dispatch_each(ctx, uow, await uow.steps.batch.locked(ids), now)


async def _step_failed(
    uow: UnitOfWork, step_id: int, attempts: int, error: Exception, now: datetime
) -> None:
    at = TIMED_WORK.next_attempt(attempts, now)
    await uow.steps.failed_attempt(step_id, attempts, error_text(error), at, now)
    if at is None:
        log.error(
            "follow-up step %s failed %s times; kept failed", step_id, attempts, exc_info=error
        )
    else:
        log.warning(
            "follow-up step %s failed (%s); retry at %s", step_id, error_text(error), at.isoformat()
        )


def _finish(
    row: FollowupStep | DueStep, status: str, now: datetime, note: str | None = None
) -> None:
    row.status = status
    row.done_at = now
    row.note = note


async def _handle(
    ctx: AppContext, uow: UnitOfWork, row: FollowupStep | DueStep, now: datetime
) -> None:
    sequence = _sequences(ctx).get(row.sequence)
    if sequence is None or row.step >= len(sequence.steps):
        _finish(row, "cancelled", now, "sequence removed from the config")
        return
    step = sequence.steps[row.step]
    lead = await uow.leads.get(row.lead_id)
    contact = await uow.contacts.get(row.contact_id)
    if lead is None or contact is None:
        _finish(row, "cancelled", now, "lead gone")
        return
    reason = await _stopped(uow, sequence, lead, row, contact)
    if reason:
        _finish(row, "cancelled", now, reason)
        return
    if step.action == "handover":
        from usecases.second_try import second_try

        await second_try(ctx, uow, lead)
        _finish(row, "done", now)
        return
    zone = contact.timezone or ctx.config.company.timezone
    quiet = ctx.config.followups.quiet(ctx.config.work_calendar().holidays)
    allowed = quiet.next_allowed(now, zone)
    if allowed > now:
        row.due_at = allowed
        row.note = "deferred: quiet hours"
        return
    if sequence.marketing:
        if contact.marketing_opt_out_at is not None:
            _finish(row, "cancelled", now, "unsubscribed")
            return
        sent_today = await uow.steps.marketing_sent_since(contact.id, day_start(now, zone))
        if sent_today >= ctx.config.followups.daily_marketing_cap:
            row.due_at = next_day_start(now, zone, quiet)
            row.note = "deferred: daily cap"
            return
    identity = await uow.identities.reply_address(contact.id, lead.channel)
    if identity is None or identity.blocked_at is not None:
        _finish(row, "cancelled", now, "customer unreachable")
        return
    if identity.channel in ctx.answer_only and (
        sequence.marketing or writes_first(ctx, lead, identity.channel)
    ):
        _finish(row, "cancelled", now, f"{identity.channel} lets the business only answer")
        return
    manager = await uow.managers.get(lead.manager_id or 0)
    # No placeholder renders empty (issue 13): nobody holds the lead yet, the name is
    # unknown or blank; the fallback is in the language he writes in ("en-GB" is English).
    language = language_of(identity.language or contact.language)
    customer = _named(ctx, contact.display_name, "fallback_customer_name", language)
    manager_name = _named(ctx, manager and manager.name, "fallback_manager_name", language)
    payload = _payload(ctx, step, lead, customer, manager_name)
    if step.survey:
        from usecases.surveys import survey_payload

        survey = await uow.surveys.for_lead(lead.id) or await uow.surveys.add(
            now, lead_id=lead.id, contact_id=contact.id, manager_id=lead.manager_id
        )
        payload = survey_payload(ctx, survey.id, contact.language, payload.get("text"))
    await uow.outbox.add(
        channel=identity.channel,
        chat_id=identity.chat_id,
        purpose="marketing" if sequence.marketing else "followup",
        payload=payload,
        now=now,
        contact_id=contact.id,
        lead_id=lead.id,
        dedupe_key=f"step:{row.id}",
    )
    uow.events.add(lead.id, "followup_sent", now, data={"sequence": row.sequence, "step": row.step})
    _finish(row, "sent", now)


async def _stopped(
    uow: UnitOfWork,
    sequence: FollowupSequence,
    lead: Lead,
    row: FollowupStep | DueStep,
    contact: Any,
) -> str | None:
    stops = set(sequence.stop_when)
    trigger = sequence.trigger
    if "lead_closed" in stops and not lead.is_open:
        return "lead closed"
    if (
        "stage_changed" in stops
        and trigger.event == "stage_entered"
        and lead.status != trigger.stage
    ):
        return "lead moved on"
    if (
        "customer_replied" in stops
        and lead.last_customer_message_at
        and lead.last_customer_message_at > row.created_at
    ):
        return "customer replied"
    if "open_lead" in stops and await uow.leads.open_for_contact(contact.id) is not None:
        return "customer has an open lead"
    return None


def _named(ctx: AppContext, name: str | None, fallback: str, language: str) -> str:
    return (name or "").strip() or str(ctx.texts.get(fallback, language))


def _payload(
    ctx: AppContext, step: SequenceStep, lead: Lead, customer: str, manager: str
) -> dict[str, Any]:
    values = {
        "customer_name": html.escape(customer, quote=False),
        "manager_name": html.escape(manager, quote=False),
        "company": html.escape(ctx.config.company.name, quote=False),
        "lead_id": str(lead.id),
    }
    payload: dict[str, Any] = {"text": fill(step.text, values), "parse_mode": "HTML"}
    if step.photo:
        payload["photo"] = step.photo
    if step.document:
        payload["document"] = step.document
    if step.buttons:
        payload["buttons"] = [[{"text": b.text, "url": b.url}] for b in step.buttons]
    return payload
