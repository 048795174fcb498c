"""The workload of a report period: the leads that came in, weighed by the norm of their
class, against the minutes each manager is on shift in those days (his own working
hours), and the actions each did outside his shift. /report and the heads' digest both
take it from here (texts in usecases/workload_text.py); the alarm is
usecases/workload_alarm.py."""

from __future__ import annotations

from dataclasses import dataclass

from domain.lead_access import ROLE_HEAD
from domain.reporting.periods import Period
from domain.workload import STAFF_ACTIONS, Load, StaffAction, overtime, shift_minutes
from usecases.context import AppContext
from usecases.staffing import hours_of


@dataclass(frozen=True)
class ManagerLoad:
    manager_id: int
    name: str
    load: Load
    overtime: int


@dataclass(frozen=True)
class Workload:
    team: Load
    managers: tuple[ManagerLoad, ...]

    def of(self, manager_id: int) -> ManagerLoad | None:
        return next((row for row in self.managers if row.manager_id == manager_id), None)


def _manager_of(actor: str) -> int | None:
    try:
        return int(actor.split(":", 1)[1])
    except (IndexError, ValueError):
        return None


async def load_workload(ctx: AppContext, period: Period) -> Workload | None:
    """The team's and every manager's load in `period`; None when the norm is off."""
    if not ctx.config.workload.enabled:
        return None
    norm = ctx.config.workload_norm()
    async with ctx.db.uow() as uow:
        managers = [m for m in await uow.managers.all() if m.role != ROLE_HEAD and m.active]
        incoming = await uow.workload.incoming(period.start, period.end)
        actions = await uow.workload.staff_actions(period.start, period.end, STAFF_ACTIONS)
    calendar = ctx.config.work_calendar()
    hours = {manager.id: hours_of(manager, calendar) for manager in managers}
    done = [
        StaffAction(manager_id, at, kind)
        for actor, at, kind in actions
        if (manager_id := _manager_of(actor)) is not None
    ]
    late = overtime(done, hours)
    rows = []
    for manager in managers:
        work = norm.work(lead_class for lead_class, holder in incoming if holder == manager.id)
        capacity = shift_minutes(hours[manager.id], period.start, period.end)
        rows.append(
            ManagerLoad(manager.id, manager.name, Load(work, capacity), late.get(manager.id, 0))
        )
    team = Load(
        work=norm.work(lead_class for lead_class, _ in incoming),
        capacity=sum(row.load.capacity for row in rows),
        staffed=sum(1 for row in rows if row.load.capacity > 0),
    )
    return Workload(team, tuple(rows))
