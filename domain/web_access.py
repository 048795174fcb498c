"""Who sees and does what on the web dashboard: the one policy every dashboard page and
action asks. Pure: it reads the few fields it needs from whatever carries them.

A manager sees his own leads (assigned or offered to him) and the queue he may be given
(open leads nobody holds); a head sees everyone's. The administrator, who signs in with
DASHBOARD_PASSWORD and is no staff member, has a head's rights."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.lead_access import HEAD_RIGHTS, ROLE_ADMIN, LeadLike


@dataclass(frozen=True)
class Viewer:
    """Whoever the dashboard session belongs to. The administrator has no staff row:
    `manager_id` and `telegram_id` are None, and `id` 0 matches no lead's holder."""

    manager_id: int | None
    telegram_id: int | None
    name: str
    role: str
    active: bool = True

    @property
    def id(self) -> int:
        return self.manager_id or 0

    @property
    def sees_everyone(self) -> bool:
        return self.role in HEAD_RIGHTS

    @property
    def is_administrator(self) -> bool:
        return self.role == ROLE_ADMIN


ADMINISTRATOR = Viewer(manager_id=None, telegram_id=None, name="", role=ROLE_ADMIN)


class Power(StrEnum):
    """What only a head (or the administrator) may do on the dashboard."""

    TEAM = "team"
    REPORTS = "reports"
    COMPLAINTS = "complaints"
    FAILED_INTAKE = "failed_intake"
    QUALITY = "quality"


def may(viewer: Viewer, power: Power) -> bool:
    return viewer.active and viewer.sees_everyone


def in_queue(lead: LeadLike) -> bool:
    """Open and held by nobody, not even on offer: waiting to be given to someone."""
    return lead.is_open and lead.manager_id is None and lead.offered_manager_id is None


def may_see_lead(viewer: Viewer, lead: LeadLike) -> bool:
    if not viewer.active:
        return False
    if viewer.sees_everyone:
        return True
    return viewer.id in (lead.manager_id, lead.offered_manager_id) or in_queue(lead)


def lead_scope(viewer: Viewer) -> int | None:
    """The manager whose leads (and the queue) a list shows this viewer; None: everyone's.
    Storage filters lists by the same rule as may_see_lead (storage.repos.reports)."""
    return None if viewer.sees_everyone else viewer.id
