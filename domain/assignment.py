"""Who gets a lead: the distribution policy, as plain rules.

Eligible: active, not paused, on shift now, below capacity, level at least the class's.
Among them: a returning customer's previous manager first (when the caller names him:
`distribution.assignment: personal`); otherwise the one who has waited longest since his
last offer, ties broken by fewer open leads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

LEVELS = ("junior", "middle", "senior")
_NEVER = datetime.min.replace(tzinfo=UTC)


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


@dataclass(frozen=True)
class Candidate:
    id: int
    level: str
    active: bool
    paused: bool
    on_shift: bool
    open_leads: int
    capacity: int
    last_offered_at: datetime | None = None

    def why_not(self, min_level: str) -> str | None:
        """None when eligible, else the first reason he is not (for /team and logs)."""
        if not self.active:
            return "inactive"
        if self.paused:
            return "paused"
        if not self.on_shift:
            return "off shift"
        if self.open_leads >= self.capacity:
            return "at capacity"
        if level_rank(self.level) < level_rank(min_level):
            return "level too low"
        return None

    def eligible(self, min_level: str) -> bool:
        return self.why_not(min_level) is None


def choose_manager(
    candidates: Iterable[Candidate],
    min_level: str,
    *,
    exclude: frozenset[int] = frozenset(),
    preferred: int | None = None,
) -> Candidate | None:
    pool = [c for c in candidates if c.id not in exclude and c.eligible(min_level)]
    if not pool:
        return None
    for candidate in pool:
        if candidate.id == preferred:
            return candidate
    return min(pool, key=lambda c: (c.last_offered_at or _NEVER, c.open_leads, c.id))
