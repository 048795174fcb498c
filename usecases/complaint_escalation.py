"""Overdue complaints to the head, each in its own savepoint: one that fails (a broken
row, a head's card that cannot be built) is retried with the timed work's backoff and
then given up, its failures in the complaint's history, and holds back none of the
others. No schema: the failures are the complaint's `escalation_failed` events."""

from __future__ import annotations

import logging

from domain import escalation as escalations
from usecases import cards
from usecases.context import AppContext
from usecases.escalations import escalate
from usecases.outage import is_outage
from usecases.retry_policy import TIMED_WORK, error_text

log = logging.getLogger(__name__)
FAILED = "escalation_failed"


async def escalate_overdue(ctx: AppContext) -> int:
    """Escalate every overdue complaint that is due; how many were escalated."""
    escalated = 0
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        for complaint in await uow.complaints.overdue(now):
            complaint_id = complaint.id
            failures = [
                event.at
                for event in await uow.complaints.history(complaint_id)
                if event.type == FAILED
            ]
            if failures:
                at = TIMED_WORK.next_attempt(len(failures), max(failures))
                if at is None or at > now:
                    continue  # given up, or waiting out its backoff
            try:
                async with uow.savepoint():
                    complaint.escalated_at = now
                    uow.complaints.record(complaint_id, "escalated", "system", now)
                    await escalate(
                        ctx,
                        uow,
                        escalations.complaint_overdue(complaint_id),
                        lambda language, c=complaint: cards.payload(
                            ctx.texts.get(
                                "complaint_overdue", language, complaint_id=c.id, text=c.text[:300]
                            )
                        ),
                    )
            except Exception as exc:
                if is_outage(exc):
                    raise
                uow.complaints.record(
                    complaint_id, FAILED, "system", now, data={"error": error_text(exc)}
                )
                given_up = len(failures) + 1 >= TIMED_WORK.max_attempts
                log.log(
                    logging.ERROR if given_up else logging.WARNING,
                    "complaint %s: escalation failed (%s)%s",
                    complaint_id,
                    error_text(exc),
                    "; given up" if given_up else "; retried later",
                )
                continue
            escalated += 1
        await uow.commit()
    if escalated:
        ctx.wake("outbox")
    return escalated
