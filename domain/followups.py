"""Follow-up sequences as rules: when steps fall due, quiet hours, placeholders."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PLACEHOLDERS = ("customer_name", "manager_name", "company", "lead_id")
# Placeholders with nothing to fill them at the moment a trigger fires (its fallback is
# used instead): a lead just created has no manager yet.
UNKNOWN_AT = {"lead_created": frozenset({"manager_name"})}


def unfillable(trigger_event: str, template: str) -> set[str]:
    """The placeholders of `template` that cannot be filled when `trigger_event` fires."""
    return template_fields(template) & UNKNOWN_AT.get(trigger_event, frozenset())


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (e.g. 21:00-09:00) when marketing must not reach the customer."""

    start: time
    end: time
    # Public holidays quiet all day (`followups.quiet_on_holidays`), in the customer's date.
    days_off: frozenset[date] = frozenset()

    def is_quiet(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """`at` itself when allowed, else the first minute after the quiet window (and
        after the holidays, when they are quiet)."""
        local = at.astimezone(ZoneInfo(zone))
        for _ in range(2 * len(self.days_off) + 3):
            if local.date() in self.days_off:
                midnight = datetime.combine(local.date() + timedelta(days=1), time(0, 0))
                local = midnight.replace(tzinfo=local.tzinfo)
                continue
            if not self.is_quiet(local.time()):
                break
            end = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
            if end <= local:
                end += timedelta(days=1)
            local = end
        return local.astimezone(at.tzinfo) if local != at else at


def next_day_start(at: datetime, zone: str, quiet: QuietHours) -> datetime:
    """Tomorrow's first allowed minute in the customer's zone (when today's cap is used)."""
    local = at.astimezone(ZoneInfo(zone))
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=local.tzinfo)
    return quiet.next_allowed(tomorrow.astimezone(at.tzinfo), zone)


def day_start(at: datetime, zone: str) -> datetime:
    local = at.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date(), time(0, 0), tzinfo=local.tzinfo).astimezone(at.tzinfo)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: dict[str, str]) -> str:
    parts = _plain_parts(template)
    if parts is None:
        return string.Formatter().vformat(template, (), _Blank(values))
    return "".join(part if is_text else format(values.get(part, ""), "") for is_text, part in parts)


@lru_cache(maxsize=256)
def _plain_parts(template: str) -> tuple[tuple[bool, str], ...] | None:
    """The template as (is literal text, text or field name), parsed once: a set-based
    dispatch fills the same few templates thousands of times a second. None when a field
    has a conversion, a format spec, an index or an attribute: vformat fills those."""
    parts: list[tuple[bool, str]] = []
    for text, name, spec, conversion in string.Formatter().parse(template):
        if text:
            parts.append((True, text))
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            return None
        parts.append((False, name))
    return tuple(parts)


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
