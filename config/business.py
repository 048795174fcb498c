"""The YAML business config (team, hours, SLAs, lead classes, texts), validated into types.

Errors name the key and what was expected, e.g.
`team.managers[2].level: expected one of junior, middle, senior`.
"""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from config.base import Duration, Strict, TimeZone
from config.calendar import Calendar
from config.followups import Followups
from config.next_steps import NextSteps
from config.quality import Quality
from config.special_terms import SpecialTerms
from config.stages import Stages
from config.watchdog import Watchdog
from config.webhooks import Webhook, unique_urls
from config.workload import Workload, check_workload
from domain.calendar import WorkCalendar
from domain.classify import ClassRule
from domain.complaint_words import DEFAULT_PHRASES
from domain.followups import unfillable
from domain.hours import WEEKDAYS, Shift, WorkingHours, parse_shift
from domain.money import EXPONENTS
from domain.sla import SlaPolicy
from domain.workload import Norm


class ConfigError(Exception):
    """The config cannot be used; the message is meant for a human, one problem a line."""


def _day_numbers(spec: str) -> list[int]:
    days: list[int] = []
    for part in str(spec).lower().split(","):
        part = part.strip()
        if "-" in part:
            first, last = (p.strip() for p in part.split("-", 1))
            if first not in WEEKDAYS or last not in WEEKDAYS:
                raise ValueError(f"unknown day range {part!r}, expected e.g. mon-fri")
            start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
            days.extend((start + step) % 7 for step in range((end - start) % 7 + 1))
        elif part in WEEKDAYS:
            days.append(WEEKDAYS.index(part))
        else:
            raise ValueError(f"unknown day {part!r}, expected one of {', '.join(WEEKDAYS)}")
    return days


def parse_week(value: Any) -> dict[int, tuple[Shift, ...]]:
    """`{"mon-fri": "09:00-18:00", "sat": ["10:00-13:00", "14:00-16:00"], "sun": "off"}`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError('expected a mapping of days to shifts, e.g. {mon-fri: "09:00-18:00"}')
    week: dict[int, tuple[Shift, ...]] = {}
    for spec, shifts in value.items():
        if shifts is False or shifts is None:
            shifts = []  # YAML reads an unquoted `off` as false
        if isinstance(shifts, str):
            shifts = [] if shifts.strip().lower() in {"off", "-", ""} else [shifts]
        if not isinstance(shifts, list):
            raise ValueError(f"{spec}: expected a shift like 09:00-18:00 or a list of them")
        parsed = tuple(parse_shift(str(text)) for text in shifts)
        for day in _day_numbers(spec):
            week[day] = parsed
    return week


Week = Annotated[dict[int, tuple[Shift, ...]], BeforeValidator(parse_week)]


def _currency(value: Any) -> str:
    code = str(value).strip().upper()
    if code not in EXPONENTS:
        raise ValueError(f"unknown currency {value!r}, expected one of {', '.join(EXPONENTS)}")
    return code


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class Company(Strict):
    # Shown to customers (welcome, follow-ups' {company}): never blank.
    name: Annotated[str, AfterValidator(_not_blank)] = "Leadkeeper"
    timezone: TimeZone = "Europe/Moscow"
    working_hours: Week = Field(default_factory=lambda: parse_week({"mon-fri": "09:00-18:00"}))
    default_region: str = "RU"
    # Deal amounts are kept, summed and shown in this currency (ISO 4217 code).
    currency: Annotated[str, BeforeValidator(_currency)] = "RUB"


class Level(StrEnum):
    JUNIOR = "junior"
    MIDDLE = "middle"
    SENIOR = "senior"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class Role(StrEnum):
    HEAD = "head"
    MANAGER = "manager"


class Person(Strict):
    telegram_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    level: Level = Level.MIDDLE
    capacity: int = Field(default=20, ge=1)
    timezone: TimeZone | None = None
    working_hours: Week | None = None
    active: bool = True
    language: str = Field(default="ru", pattern="^(ru|en)$")


class Team(Strict):
    heads: list[Person] = Field(default_factory=list)
    managers: list[Person] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Team:
        seen: set[int] = set()
        for group, people in (("heads", self.heads), ("managers", self.managers)):
            for index, person in enumerate(people):
                if person.telegram_id in seen:
                    raise ValueError(
                        f"{group}[{index}].telegram_id {person.telegram_id} is listed twice"
                    )
                seen.add(person.telegram_id)
        return self


class Sla(Strict):
    first_response: Duration = timedelta(minutes=30)
    first_response_reminder: Duration = timedelta(minutes=20)
    accept_timeout: Duration = timedelta(minutes=5)
    max_passes: int = Field(default=3, ge=0)
    stage_limits: dict[str, Duration] = Field(default_factory=dict)
    # Stages whose clock stands still while the lead waits for the customer's reply (the
    # manager wrote last), e.g. [proposal]: the customer is thinking over the offer.
    pause_in_stages: list[str] = Field(default_factory=list)

    @field_validator("stage_limits", "pause_in_stages")
    @classmethod
    def _stages(cls, value: Any) -> Any:
        allowed = ("new", "contacted", "qualified", "proposal")
        for stage in value:
            if stage not in allowed:
                raise ValueError(f"unknown stage {stage!r}, expected one of {', '.join(allowed)}")
        return value


class ClassWhen(Strict):
    words: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    fields: dict[str, str] = Field(default_factory=dict)
    min_amount: float | None = Field(default=None, ge=0)


class LeadClass(Strict):
    name: str = Field(min_length=1, max_length=64)
    min_level: Level = Level.JUNIOR
    priority: int = 0
    # No `when`: the default class, for leads no other rule matches.
    when: ClassWhen | None = None

    def rule(self) -> ClassRule:
        when = self.when or ClassWhen()
        return ClassRule(
            name=self.name,
            min_level=self.min_level.value,
            priority=self.priority,
            words=tuple(when.words),
            sources=tuple(when.sources),
            fields=dict(when.fields),
            min_amount=when.min_amount,
        )


class DistributionMode(StrEnum):
    OFFER = "offer"  # offer to one manager, pass on after the accept timeout
    ROTATION = "rotation"  # assign straight away, in turn


class AssignmentMode(StrEnum):
    # A returning customer goes back to his previous manager when that one can take him.
    PERSONAL = "personal"
    # The ticket principle: every enquiry, a returning customer's too, to the best free
    # manager by the rules (longest waiting first), nobody keeps a personal client base.
    POOL = "pool"


class Distribution(Strict):
    mode: DistributionMode = DistributionMode.OFFER
    assignment: AssignmentMode = AssignmentMode.PERSONAL
    invite_ttl: Duration = timedelta(days=1)


def _default_classes() -> list[LeadClass]:
    return [LeadClass(name="standard")]


class Complaints(Strict):
    deadline: Duration = timedelta(days=2)
    survey_threshold: int = Field(default=3, ge=1, le=5)
    phrases: list[str] = Field(default_factory=lambda: list(DEFAULT_PHRASES))


def _clock_time(value: Any) -> time | None:
    if value is None or value is False or str(value).strip().lower() in {"off", ""}:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 9:30 as sexagesimal minutes (570).
        value = f"{value // 60}:{value % 60:02d}"
    text = str(value).strip()
    hours, _, minutes = text.partition(":")
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"expected a time like 09:00, or off; got {text!r}") from None


class Reports(Strict):
    # When each head gets yesterday's digest, in the head's own time zone; off: no digest.
    digest_time: Annotated[time | None, BeforeValidator(_clock_time)] = time(9, 0)


class Telegram(Strict):
    allow_groups: bool = False


class Config(Strict):
    company: Company = Field(default_factory=Company)
    calendar: Calendar = Field(default_factory=Calendar)
    telegram: Telegram = Field(default_factory=Telegram)
    sla: Sla = Field(default_factory=Sla)
    team: Team = Field(default_factory=Team)
    lead_classes: list[LeadClass] = Field(default_factory=_default_classes)
    distribution: Distribution = Field(default_factory=Distribution)
    followups: Followups = Field(default_factory=Followups)
    complaints: Complaints = Field(default_factory=Complaints)
    reports: Reports = Field(default_factory=Reports)
    next_steps: NextSteps = Field(default_factory=NextSteps)
    workload: Workload = Field(default_factory=Workload)
    special_terms: SpecialTerms = Field(default_factory=SpecialTerms)
    quality: Quality = Field(default_factory=Quality)
    # Per stage: a script, and the gate (checklist, required fields) to enter it.
    stages: Stages = Field(default_factory=Stages)
    watchdog: Watchdog = Field(default_factory=Watchdog)
    loss_reasons: list[str] = Field(
        default_factory=lambda: ["price", "competitor", "no_budget", "no_response", "spam"]
    )
    webhooks: Annotated[list[Webhook], AfterValidator(unique_urls)] = Field(default_factory=list)
    # Overrides of the built-in message texts: texts.ru.ack_new_lead: "..."
    texts: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("lead_classes")
    @classmethod
    def _one_default(cls, value: list[LeadClass]) -> list[LeadClass]:
        names = [item.name for item in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"class {duplicates[0]!r} is declared twice")
        if sum(1 for item in value if item.when is None) > 1:
            raise ValueError("only one class may have no `when` (the default class)")
        return value

    @model_validator(mode="after")
    def _workload_classes(self) -> Config:
        check_workload(self.workload, [c.name for c in self.lead_classes], self.default_class())
        return self

    def default_class(self) -> str | None:
        return next((c.name for c in self.lead_classes if c.when is None), None)

    def workload_norm(self) -> Norm:
        return self.workload.norm(self.default_class())

    @field_validator("loss_reasons")
    @classmethod
    def _reasons(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one loss reason")
        return value

    def warnings(self) -> list[str]:
        """What is allowed but will not read as meant: a follow-up text whose placeholder
        cannot be filled when it is sent (its fallback, e.g. «ваш менеджер», is used)."""
        found = []
        for s_index, sequence in enumerate(self.followups.sequences):
            for t_index, step in enumerate(sequence.steps):
                for name in sorted(unfillable(sequence.trigger.event, step.text or "")):
                    found.append(
                        f"followups.sequences[{s_index}].steps[{t_index}].text: {{{name}}} "
                        f"is not known yet when '{sequence.trigger.event}' fires; "
                        "the fallback text is sent in its place"
                    )
        return found

    def class_rules(self) -> list[ClassRule]:
        return [item.rule() for item in self.lead_classes]

    def work_calendar(self) -> WorkCalendar:
        return self.calendar.build()

    def hours(self) -> WorkingHours:
        """The company's working hours on its production calendar."""
        return WorkingHours(self.company.timezone, self.company.working_hours, self.work_calendar())

    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy(
            first_response=self.sla.first_response,
            first_response_reminder=self.sla.first_response_reminder,
            stage_limits=dict(self.sla.stage_limits),
            hours=self.hours(),
            pause_in_stages=frozenset(self.sla.pause_in_stages),
        )

    @field_validator("texts")
    @classmethod
    def _known_texts(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        from texts import validate_overrides

        validate_overrides(value)
        return value


def _describe(error: dict[str, Any]) -> str:
    location = ""
    for part in error["loc"]:
        location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else part)
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind in {"enum", "literal_error"}:
        expected = str(context.get("expected", "")).replace("'", "").replace(" or ", ", ")
        message = f"expected one of {expected}"
    elif kind == "extra_forbidden":
        message = "unknown key (check the spelling against leadkeeper.example.yaml)"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "value_error":
        message = str(context.get("error", error["msg"]))
    else:
        message = error["msg"][0].lower() + error["msg"][1:]
    return f"{location or '(top level)'}: {message}"


def parse_config(data: Any, source: str = "config") -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(error) for error in exc.errors()]
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(lines)) from None


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found: copy leadkeeper.example.yaml to {path} "
            "or set LEADKEEPER_CONFIG"
        ) from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise ConfigError(f"{path}{where}: {problem}") from None
    return parse_config(data, str(path))
