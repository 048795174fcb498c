"""The `followups:` section: sequences of timed steps, quiet hours, the marketing cap."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from config.base import Duration, Strict
from domain.followups import PLACEHOLDERS, QuietHours, template_fields
from domain.hours import parse_shift


class SequenceTrigger(Strict):
    event: Literal["lead_created", "stage_entered", "won", "lost", "manager_replied", "no_activity"]
    stage: str | None = None  # for stage_entered
    after: Duration | None = None  # for no_activity: how long without activity


class StepButton(Strict):
    text: str = Field(min_length=1, max_length=64)
    url: str = Field(pattern=r"^https?://")


class SequenceStep(Strict):
    delay: Duration
    text: str = ""
    photo: str | None = None  # a URL or a Telegram file_id
    document: str | None = None
    buttons: list[StepButton] = Field(default_factory=list)
    survey: bool = False  # ask for a 1-5 rating
    action: Literal["handover"] | None = None  # give a lost lead a second try

    @model_validator(mode="after")
    def _has_content(self) -> SequenceStep:
        if not (self.text or self.photo or self.document or self.survey or self.action):
            raise ValueError("a step needs a text, a photo, a document, survey or an action")
        unknown = template_fields(self.text) - set(PLACEHOLDERS)
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{sorted(unknown)[0]}}}; allowed: {', '.join(PLACEHOLDERS)}"
            )
        return self


class FollowupSequence(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    enabled: bool = True
    trigger: SequenceTrigger
    # Marketing respects /stop, quiet hours and the daily cap; service messages do not.
    marketing: bool = True
    steps: list[SequenceStep] = Field(min_length=1)
    stop_when: list[
        Literal["stage_changed", "customer_replied", "lead_closed", "open_lead", "any_activity"]
    ] = Field(default_factory=list)


class Followups(Strict):
    quiet_hours: str = "21:00-09:00"
    # True: a public holiday of the `calendar:` is quiet all day (no follow-ups on 1 May).
    quiet_on_holidays: bool = False
    daily_marketing_cap: int = Field(default=2, ge=0)
    sequences: list[FollowupSequence] = Field(default_factory=list)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        parse_shift(value)
        return value

    def quiet(self, holidays: frozenset[date] = frozenset()) -> QuietHours:
        """The quiet window; `holidays` are quiet all day when quiet_on_holidays is on."""
        shift = parse_shift(self.quiet_hours)
        return QuietHours(
            shift.start, shift.end, holidays if self.quiet_on_holidays else frozenset()
        )
