"""The `next_steps:` section: how long an accepted lead may stay without a next step before
its manager is reminded and then the head pinged, and how late a step may be done."""

from __future__ import annotations

from datetime import timedelta

from config.base import Duration, Strict
from domain.next_steps import StepKind


class NextSteps(Strict):
    enabled: bool = True
    # No next step on an accepted lead: the manager is reminded after this…
    remind_after: Duration = timedelta(minutes=30)
    # …and the head is pinged once after this (both counted from the acceptance, or
    # from the moment the last step was done).
    head_after: Duration = timedelta(hours=2)
    # A step not marked done this long after its time pings the head once.
    overdue_grace: Duration = timedelta(hours=1)
    # What a one-tap preset sets until the manager picks another kind.
    default_kind: StepKind = StepKind.CALL
