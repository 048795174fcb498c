"""The inbox worker's chunk helpers: settling a failed payload inside the chunk's
transaction, logging it after the commit, and the effects held back for that commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from storage.uow import UnitOfWork
from usecases.capture import distribute_quietly
from usecases.context import AppContext, HeldEffects
from usecases.inbound_retry import Outcome, after_failure

log = logging.getLogger("workers.inbox")


@dataclass(frozen=True)
class Failure:
    row_id: int
    channel: str
    attempts: int
    error: Exception
    now: datetime

    @property
    def outcome(self) -> Outcome:
        return after_failure(self.error, self.attempts, self.now)


async def settle(uow: UnitOfWork, failure: Failure) -> None:
    """Retry later or kept as failed, in the chunk's transaction (its savepoint is gone)."""
    outcome = failure.outcome
    if outcome.next_attempt_at is None:
        await uow.inbox.fail(failure.row_id, outcome.error, failure.now)
    else:
        await uow.inbox.retry_later(failure.row_id, outcome.next_attempt_at, outcome.error)


def log_failure(failure: Failure) -> None:
    # One line per attempt, the traceback only for the last: a bounded log.
    outcome = failure.outcome
    if outcome.next_attempt_at is None:
        log.error(
            "inbound %s #%s failed (attempt %s); kept as failed",
            failure.channel,
            failure.row_id,
            failure.attempts,
            exc_info=failure.error,
        )
    else:
        log.warning(
            "inbound %s #%s failed (attempt %s): %s; retry at %s",
            failure.channel,
            failure.row_id,
            failure.attempts,
            outcome.error,
            outcome.next_attempt_at.isoformat(),
        )


async def release_effects(ctx: AppContext, held: HeldEffects) -> None:
    """After the chunk's commit: the wakes it asked for, and one distribution pass for
    all of its new leads (when this process distributes after capture)."""
    for topic in sorted(held.wakes):
        ctx.wake(topic)
    if held.distribute:
        await distribute_quietly(ctx)
