"""What a lead's fields become when it is offered, accepted, reassigned, passed on or
closed. Pure: each function returns the new values by field name; `apply` writes them
onto whatever holds the lead (the use cases: the stored row)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.pipeline import LeadStatus

Changes = dict[str, Any]


def apply(lead: object, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        setattr(lead, name, value)


def _assigned(manager_id: int, now: datetime) -> Changes:
    return {"manager_id": manager_id, "assigned_at": now, "accepted_at": now}


_NO_OFFER: Changes = {"offered_manager_id": None, "offer_expires_at": None}


def offered(manager_id: int, now: datetime, expires_at: datetime) -> Changes:
    """Out of the queue, offered to one manager until `expires_at`."""
    return {"queued_at": None, "offered_manager_id": manager_id, "offer_expires_at": expires_at}


def assigned_by_rotation(manager_id: int, now: datetime) -> Changes:
    """Rotation mode: out of the queue, straight to the manager, no offer."""
    return {"queued_at": None, **_assigned(manager_id, now)}


def accepted(manager_id: int, now: datetime) -> Changes:
    """The offered manager took it: his, and the offer is over."""
    return {**_assigned(manager_id, now), **_NO_OFFER}


def reassigned(manager_id: int, now: datetime) -> Changes:
    """A head's hand: the manager's, any offer withdrawn, nothing left for the head."""
    return {**accepted(manager_id, now), "needs_head": False, "queued_at": None}


def released(now: datetime) -> Changes:
    """Its holder left (handed over with nobody free to take it, or retired): no holder,
    back in the queue, so that distribution gives it to the first manager who frees up."""
    return {"manager_id": None, **_NO_OFFER, "queued_at": now, "needs_head": False}


def offer_passed(pass_count: int) -> Changes:
    """Declined or expired: the offer is over and counts as one more pass."""
    return {**_NO_OFFER, "pass_count": pass_count + 1}


def loss_reason(reason: str | None, comment: str | None) -> str | None:
    """A chosen reason, or the manager's own words when he chose "other" (or nothing)."""
    return reason if reason not in (None, "", "other") else (comment or reason)


def closed(
    outcome: str,
    now: datetime,
    *,
    reason: str | None = None,
    comment: str | None = None,
    amount: tuple[int, str] | None = None,
) -> Changes:
    """Won, lost or disqualified: no timers, no offer; a loss keeps its reason, a win
    the deal's amount when one is given (minor units, currency), else the one it had."""
    changes: Changes = {
        "status": outcome,
        "is_open": False,
        "closed_at": now,
        "stage_entered_at": now,
        "next_timer_at": None,
        **_NO_OFFER,
    }
    if outcome != LeadStatus.WON:
        changes["loss_reason"] = loss_reason(reason, comment)
    elif amount is not None:
        changes["amount_minor"], changes["currency"] = amount
    return changes


def folded(into_lead_id: int, now: datetime) -> Changes:
    """A merged contact's open lead closes into the kept one's, off every list."""
    return {
        **closed(LeadStatus.DISQUALIFIED.value, now, reason=f"merged into lead #{into_lead_id}"),
        "queued_at": None,
        "needs_head": False,
    }
