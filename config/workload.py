"""The `workload:` section: how many minutes a lead of each class takes to work, for the
load figures of /report and the digest and for the head's alarm when the queue's expected
wait outgrows the first-response SLA. Without minutes the norm is off: no figures, no
alarm."""

from __future__ import annotations

from pydantic import Field

from config.base import Strict
from domain.workload import Norm

# A day's work at most for one lead: a bigger number is a typo (hours typed as minutes).
MAX_MINUTES = 24 * 60


class Workload(Strict):
    # Minutes per lead class (the names of lead_classes); a class left out takes the
    # default class's minutes.
    minutes_per_lead: dict[str, int] = Field(default_factory=dict)
    # Tell the heads once when waiting leads × minutes ÷ managers on shift passes
    # sla.first_response; once more only after the wait has come back down.
    alarm: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.minutes_per_lead)

    def norm(self, default_class: str | None) -> Norm:
        minutes = dict(self.minutes_per_lead)
        return Norm(minutes, minutes.get(default_class) if default_class else None)


def check_workload(workload: Workload, classes: list[str], default_class: str | None) -> None:
    """Every name a declared class, every number a sensible one, and a norm for every
    class (its own or the default class's); ValueError names the first problem."""
    for name, minutes in workload.minutes_per_lead.items():
        if name not in classes:
            raise ValueError(
                f"workload.minutes_per_lead.{name}: unknown lead class, expected one of "
                f"{', '.join(classes)}"
            )
        if not 1 <= minutes <= MAX_MINUTES:
            raise ValueError(
                f"workload.minutes_per_lead.{name}: expected whole minutes from 1 to "
                f"{MAX_MINUTES}, got {minutes}"
            )
    if workload.enabled and (
        default_class is None or default_class not in workload.minutes_per_lead
    ):
        missing = [name for name in classes if name not in workload.minutes_per_lead]
        if missing:
            raise ValueError(
                f"workload.minutes_per_lead: no minutes for class {missing[0]!r}; list it, "
                "or the default class whose minutes the others take"
            )
