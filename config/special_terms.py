"""The `special_terms:` section: the head's rules for discounts (percent), instalments
(months) and deferred payment (days). Per kind: what a manager gets at once
(`auto_up_to`, or his level's own limit in `by_level`), and the most a head may grant
(`max`); a kind set to `off` is not offered on the card."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from config.base import Strict
from domain.assignment import LEVELS
from domain.special_terms import TermKind, TermRule


class TermLimits(Strict):
    auto_up_to: float = Field(ge=0)
    max: float = Field(gt=0)
    # e.g. {senior: 10}: a senior manager gets up to 10 at once, the others auto_up_to.
    by_level: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _within_max(self) -> TermLimits:
        if self.auto_up_to > self.max:
            raise ValueError(f"auto_up_to {self.auto_up_to:g} is above max {self.max:g}")
        for level, limit in self.by_level.items():
            if level not in LEVELS:
                raise ValueError(
                    f"by_level: unknown level {level!r}, expected one of {', '.join(LEVELS)}"
                )
            if not 0 <= limit <= self.max:
                raise ValueError(
                    f"by_level.{level}: {limit:g} is not between 0 and max {self.max:g}"
                )
        return self

    def rule(self) -> TermRule:
        return TermRule(self.auto_up_to, self.max, dict(self.by_level))


def _off_is_none(value: Any) -> Any:
    # YAML reads an unquoted `off` as false.
    if value is False or (isinstance(value, str) and value.strip().lower() in {"off", ""}):
        return None
    return value


Limits = Annotated[TermLimits | None, BeforeValidator(_off_is_none)]


class SpecialTerms(Strict):
    enabled: bool = True
    discount: Limits = TermLimits(auto_up_to=5, max=30)  # percent
    instalments: Limits = TermLimits(auto_up_to=3, max=12)  # months
    deferred_payment: Limits = TermLimits(auto_up_to=14, max=60)  # days

    @model_validator(mode="after")
    def _whole_counts(self) -> SpecialTerms:
        for name in ("instalments", "deferred_payment"):
            limits = getattr(self, name)
            if limits is None:
                continue
            values = [limits.auto_up_to, limits.max, *limits.by_level.values()]
            if any(value != int(value) for value in values):
                unit = "months" if name == "instalments" else "days"
                raise ValueError(f"{name}: limits are whole {unit}")
        return self

    def rules(self) -> dict[TermKind, TermRule]:
        """The kinds offered, with their rules (none when the section is off)."""
        if not self.enabled:
            return {}
        limits = {
            TermKind.DISCOUNT: self.discount,
            TermKind.INSTALMENTS: self.instalments,
            TermKind.DEFERRED_PAYMENT: self.deferred_payment,
        }
        return {kind: item.rule() for kind, item in limits.items() if item is not None}
