"""The head's alarm when the queue falls behind: the leads nobody has answered yet, each
weighed by the norm of its class, shared by the managers on shift now, make the wait a
new customer can expect; past sla.first_response the heads are told once, through the one
escalation path, and once more only after a later episode (the wait came well back down
first, domain.workload.alarm_step). Woken with the rest of the timed work."""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.escalation import Escalation
from domain.workload import AlarmStep, alarm_step, expected_wait
from usecases import cards
from usecases.context import AppContext
from usecases.escalations import tell
from usecases.spans import format_span
from usecases.staffing import candidates

log = logging.getLogger(__name__)

ALARM_LOCK = "workload-alarm"


def alarm_escalation(episode_id: int) -> Escalation:
    """No lead's: the episode row keeps it once, the outbox key once per head."""
    return Escalation("workload", episode_id, None, "workload", once_per_lead=False)


async def check_workload(ctx: AppContext) -> AlarmStep:
    """One tick: start an episode (and tell the heads), end one, or change nothing."""
    settings = ctx.config.workload
    if not settings.enabled or not settings.alarm:
        return AlarmStep.KEEP
    norm = ctx.config.workload_norm()
    sla = ctx.config.sla.first_response
    async with ctx.db.uow() as uow:
        if not await uow.lock(ALARM_LOCK):
            return AlarmStep.KEEP  # another process is ticking it now
        now = ctx.clock.now()
        pool = await candidates(uow, now, ctx.config.work_calendar())
        on_shift = sum(1 for c in pool.values() if c.active and not c.paused and c.on_shift)
        waiting = await uow.workload.waiting_classes()
        wait = expected_wait(norm.work(waiting), on_shift)
        episode = await uow.workload.open_alarm()
        step = alarm_step(wait, sla, episode is not None)
        if step is AlarmStep.END and episode is not None:
            await uow.workload.end_alarm(episode.id, now)
            log.info(
                "workload alarm %s over: %s waiting, %s on shift",
                episode.id,
                len(waiting),
                on_shift,
            )
        elif step is AlarmStep.START and wait is not None:
            started = await uow.workload.start_alarm(
                now,
                waiting=len(waiting),
                on_shift=on_shift,
                wait_minutes=round(wait.total_seconds() / 60),
            )
            if started is None:
                return AlarmStep.KEEP

            def build(language: str) -> dict[str, object]:
                return cards.payload(
                    ctx.texts.get(
                        "workload_alarm",
                        language,
                        waiting=ctx.texts.plural("workload_waiting", language, len(waiting)),
                        on_shift=ctx.texts.plural("workload_on_shift", language, on_shift),
                        wait=format_span(
                            ctx.texts, timedelta(minutes=round(wait.total_seconds() / 60)), language
                        ),
                        sla=format_span(ctx.texts, sla, language),
                    )
                )

            told = await tell(ctx, uow, alarm_escalation(started.id), build)
            log.warning(
                "workload alarm %s: %s waiting, %s on shift, wait ~%s min > SLA; %s heads told",
                started.id,
                len(waiting),
                on_shift,
                round(wait.total_seconds() / 60),
                told,
            )
        else:
            return AlarmStep.KEEP
        await uow.commit()
    if step is AlarmStep.START:
        ctx.wake("outbox")
    return step
