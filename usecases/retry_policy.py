"""One backoff rule for timed work that fails for one item (a follow-up step, a lead's SLA
timers, an expiring offer): retried later, each time twice as late, then given up with its
error. Never at once again: a broken item must not run in a hot loop nor hold back the
others."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

ERROR_LENGTH = 255


@dataclass(frozen=True)
class RetryPolicy:
    first: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)
    max_attempts: int = 5

    def delay(self, failures: int) -> timedelta:
        """The wait after the `failures`-th failure in a row: first, 2×first, … longest."""
        return min(self.first * (2 ** max(0, min(failures - 1, 20))), self.longest)

    def next_attempt(self, failures: int, now: datetime) -> datetime | None:
        """When to try again, or None: given up."""
        if failures >= self.max_attempts:
            return None
        return now + self.delay(failures)


TIMED_WORK = RetryPolicy()


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_LENGTH]


async def lead_work_failed(
    uow: UnitOfWork, lead_id: int, work: str, error: BaseException, now: datetime
) -> datetime | None:
    """A lead's timed work ("timer" or "offer") failed: postponed with backoff, or, after
    the last attempt, given up with its error in the lead's history. The next attempt."""
    failures = await uow.leads.count_failure(lead_id, work)
    at = TIMED_WORK.next_attempt(failures, now)
    await uow.leads.postpone(lead_id, work, at)
    if at is None:
        uow.events.add(lead_id, f"{work}_failed", now, data={"error": error_text(error)})
        log.error("lead %s: %s failed %s times; given up", lead_id, work, failures, exc_info=error)
    else:
        log.warning(
            "lead %s: %s failed (%s); retry at %s", lead_id, work, error_text(error), at.isoformat()
        )
    return at
