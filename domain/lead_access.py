"""Who may act on a lead: the one rule behind every lead button, dialog and use case.
Pure: it reads the few fields it needs from whatever carries them (a model row, a test
double)."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from domain.pipeline import LeadStatus

ROLE_HEAD = "head"
# The administrator (the dashboard's password, no staff row) has a head's rights.
ROLE_ADMIN = "admin"
HEAD_RIGHTS = frozenset({ROLE_HEAD, ROLE_ADMIN})


class StaffLike(Protocol):
    id: int
    role: str
    active: bool


class LeadLike(Protocol):
    is_open: bool
    manager_id: int | None
    offered_manager_id: int | None


class Access(StrEnum):
    """Values match the use cases' Verdict, so one converts to the other by value."""

    DONE = "done"
    STALE = "stale"  # the lead moved on (closed, or offered and not accepted yet)
    NOT_YOURS = "not_yours"


def may_act(person: StaffLike | None, lead: LeadLike) -> bool:
    """A manager acts on leads offered or assigned to him; a head on any."""
    if person is None or not person.active:
        return False
    if person.role in HEAD_RIGHTS:
        return True
    return person.id in (lead.manager_id, lead.offered_manager_id)


def work_access(person: StaffLike | None, lead: LeadLike | None) -> Access:
    """May this person work the lead (reply, move the stage, comment, close) now?

    A head works any open lead; a manager the open leads assigned to him. A lead only
    offered to him is STALE for work: he accepts it first."""
    if lead is None or not lead.is_open:
        return Access.STALE
    if not may_act(person, lead):
        return Access.NOT_YOURS
    assert person is not None
    if person.role not in HEAD_RIGHTS and lead.manager_id != person.id:
        return Access.STALE
    return Access.DONE


def offer_access(person: StaffLike | None, lead: LeadLike | None) -> Access:
    """May this person answer the offer of the lead (decline it with a reason)?"""
    if lead is None or not lead.is_open or person is None:
        return Access.STALE
    return Access.DONE if lead.offered_manager_id == person.id else Access.STALE


class ClosedLeadLike(LeadLike, Protocol):
    status: str


def amount_access(person: StaffLike | None, lead: ClosedLeadLike | None) -> Access:
    """May this person set the lead's deal amount? On an open lead whoever may work it;
    on a won lead its holder and the heads (a correction after the close). Lost and
    disqualified leads have no deal."""
    if lead is None or lead.status in (LeadStatus.LOST, LeadStatus.DISQUALIFIED):
        return Access.STALE
    if lead.is_open:
        return work_access(person, lead)
    if person is None or not person.active:
        return Access.NOT_YOURS
    if person.role == ROLE_HEAD or lead.manager_id == person.id:
        return Access.DONE
    return Access.NOT_YOURS
