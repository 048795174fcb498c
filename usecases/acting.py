"""The preamble of every staff action on a lead: find the lead and the person pressing,
and ask the domain rule whether he may."""

from __future__ import annotations

from dataclasses import dataclass

from domain.lead_access import Access, StaffLike, offer_access, work_access
from domain.web_access import ADMINISTRATOR
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from usecases.assignment import Verdict

# Who the history names when the administrator (DASHBOARD_PASSWORD) acted.
ADMINISTRATOR_ACTOR = "dashboard"


@dataclass(frozen=True)
class Acting:
    lead: Lead
    # None only for the administrator, who has a head's rights and no staff row: use
    # cases that take `telegram_id: int` always get a manager.
    manager: Manager | None

    @property
    def actor(self) -> str:
        return f"manager:{self.manager.id}" if self.manager else ADMINISTRATOR_ACTOR

    @property
    def manager_id(self) -> int | None:
        return self.manager.id if self.manager else None


async def acting_on(
    uow: UnitOfWork,
    lead_id: int,
    telegram_id: int | None,
    *,
    for_update: bool = True,
    need_offer: bool = False,
) -> Acting | Verdict:
    """The lead and the manager when he may work it now, else why not (a Verdict).
    `telegram_id` None is the administrator on the dashboard.

    `for_update` locks the lead (the use cases that change it); a dialog only asking
    whether to start reads it. `need_offer` asks about answering an offer instead."""
    lead = await (uow.leads.get_for_update if for_update else uow.leads.get)(lead_id)
    manager = None if telegram_id is None else await uow.managers.by_telegram_id(telegram_id)
    person: StaffLike | None = ADMINISTRATOR if telegram_id is None else manager
    access = (offer_access if need_offer else work_access)(person, lead)
    if access is not Access.DONE:
        return Verdict(access.value)
    assert lead is not None
    return Acting(lead, manager)
