"""The preamble of every staff action on a lead: find the lead and the person pressing,
and ask the domain rule whether he may."""

from __future__ import annotations

from dataclasses import dataclass

from domain.lead_access import Access, offer_access, work_access
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from usecases.assignment import Verdict


@dataclass(frozen=True)
class Acting:
    lead: Lead
    manager: Manager


async def acting_on(
    uow: UnitOfWork,
    lead_id: int,
    telegram_id: int,
    *,
    for_update: bool = True,
    need_offer: bool = False,
) -> Acting | Verdict:
    """The lead and the manager when he may work it now, else why not (a Verdict).

    `for_update` locks the lead (the use cases that change it); a dialog only asking
    whether to start reads it. `need_offer` asks about answering an offer instead."""
    lead = await (uow.leads.get_for_update if for_update else uow.leads.get)(lead_id)
    manager = await uow.managers.by_telegram_id(telegram_id)
    access = (offer_access if need_offer else work_access)(manager, lead)
    if access is not Access.DONE:
        return Verdict(access.value)
    assert lead is not None and manager is not None
    return Acting(lead, manager)
