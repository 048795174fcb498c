"""The timed work the scheduler wakes: offers that ran out, SLA timers, follow-ups,
next steps, overdue complaints, the workload alarm, the weekly quality sample, the queue.

Each step reads due rows from the database, so a missed or doubled tick does no harm.
"""

from __future__ import annotations

import logging

from usecases.assignment import distribute_waiting, expire_offers
from usecases.complaints import escalate_overdue
from usecases.context import AppContext
from usecases.followups import dispatch_due
from usecases.inbox import prune_delivery_ids
from usecases.outage import is_outage
from usecases.pings import send_summaries
from usecases.quality_rounds import run_quality_rounds
from usecases.step_dispatch import dispatch_all_due_steps
from usecases.timers import check_timers
from usecases.workload_alarm import check_workload

log = logging.getLogger(__name__)


async def dispatch_all_due(ctx: AppContext) -> None:
    while await dispatch_due(ctx) > 0:
        pass


async def run_timed_work(ctx: AppContext) -> None:
    for step in (
        expire_offers,
        check_timers,
        dispatch_all_due,
        dispatch_all_due_steps,
        escalate_overdue,
        run_quality_rounds,
        send_summaries,
        check_workload,
        distribute_waiting,
        prune_delivery_ids,
    ):
        try:
            await step(ctx)
        except Exception as exc:
            if is_outage(exc):
                log.warning("%s: database unavailable (%s)", step.__name__, type(exc).__name__)
                return
            log.exception("%s failed", step.__name__)
