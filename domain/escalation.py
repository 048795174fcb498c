"""Escalating to the heads: who hears it, what makes it happen once, and the keys that
keep it so. Pure; usecases/escalations.py carries it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.lead_access import ROLE_HEAD


class StaffLike(Protocol):
    role: str
    active: bool


def hears_escalations(person: StaffLike) -> bool:
    """Every active head is told; managers and deactivated heads are not."""
    return person.role == ROLE_HEAD and person.active


@dataclass(frozen=True)
class Escalation:
    """One reason to tell the heads about one lead (or complaint).

    `once_per_lead`: a lead alert row named `key` is recorded first and the heads are
    told only when it is new, so the same lead and reason escalate once, ever (across
    processes too). Either way the outbox dedupe key `<key>:<subject>` holds it to one
    message per head. `event`: the data of the lead's "escalated" event (None: none)."""

    key: str
    subject_id: int
    lead_id: int | None
    kind: str
    once_per_lead: bool = True
    event: dict[str, Any] | None = field(default=None)

    @property
    def dedupe_key(self) -> str:
        return f"{self.key}:{self.subject_id}"


def sla_timer(lead_id: int, key: str, kind: str) -> Escalation:
    """An SLA timer ran out (first response, a stage) and it is the head's turn."""
    return Escalation(key, lead_id, lead_id, kind, event={"timer": kind})


def no_taker(lead_id: int, passes: int) -> Escalation:
    """Everyone eligible had the lead and none took it."""
    return Escalation(
        "no_taker", lead_id, lead_id, "no_taker", event={"reason": "no_taker", "passes": passes}
    )


def no_reason(lead_id: int) -> Escalation:
    """Lost (or disqualified) without a real reason."""
    return Escalation("no_reason", lead_id, lead_id, "no_reason", event={"reason": "no_reason"})


def queue_started(lead_id: int) -> Escalation:
    """Nobody can take leads now and this one starts the queue: a notice, no alert row."""
    return Escalation("queue", lead_id, lead_id, "queue", once_per_lead=False)


def complaint_overdue(complaint_id: int) -> Escalation:
    """A complaint passed its deadline (the complaint's own escalated_at keeps it once)."""
    return Escalation("complaint-overdue", complaint_id, None, "complaint", once_per_lead=False)
