"""What a report is computed from: plain records that the use case fills from storage,
so that the numbers can be worked out (and tested) without a database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# Complaint statuses that need nobody's work any more.
COMPLAINT_DONE = frozenset({"resolved", "rejected", "closed"})


@dataclass(frozen=True)
class EventFact:
    """One entry of a lead's history, as stored in lead_events."""

    type: str
    at: datetime
    manager_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LeadFacts:
    id: int
    channel: str
    source: str | None
    created_at: datetime
    events: Sequence[EventFact] = ()
    # When the first-response clock started: the team's next working moment after creation.
    sla_start: datetime | None = None
    # The deal's amount in minor units of the report's currency (None: none given).
    amount: int | None = None


@dataclass(frozen=True)
class SurveyFacts:
    lead_id: int
    manager_id: int | None
    score: int | None
    answered_at: datetime | None


@dataclass(frozen=True)
class ComplaintFacts:
    id: int
    status: str
    created_at: datetime
    deadline_at: datetime
    resolved_at: datetime | None = None
    owner_id: int | None = None
    manager_id: int | None = None

    def done(self, at: datetime) -> bool:
        if self.resolved_at is not None:
            return self.resolved_at <= at
        return self.status in COMPLAINT_DONE


@dataclass(frozen=True)
class SlaTargets:
    first_response: timedelta
    stage_limits: Mapping[str, timedelta] = field(default_factory=dict)
