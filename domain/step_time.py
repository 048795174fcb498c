"""A next step's time as a manager types it, in the team's time zone: «15.12 14:30»,
«завтра 16:00», «в пятницу в 11», «через 3 часа», «15 декабря», «14:30», «tomorrow 4pm».
The words after the time are the step's note («завтра 16:00 обсудить доставку»).

Pure. Refuses what it cannot read, a moment that has passed and one over a year away,
each with its own reason, so the manager can be told what to fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.next_steps import MORNING, clean_note

FARTHEST = timedelta(days=366)


class WhenProblem(StrEnum):
    UNREADABLE = "unreadable"
    PAST = "past"
    TOO_FAR = "too_far"


class WhenError(ValueError):
    def __init__(self, problem: WhenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class TypedWhen:
    at: datetime  # UTC
    note: str | None


_DAY_WORDS = {"сегодня": 0, "today": 0, "завтра": 1, "tomorrow": 1, "послезавтра": 2}
_WEEKDAYS = {
    **dict.fromkeys(("пн", "понедельник", "mon", "monday"), 0),
    **dict.fromkeys(("вт", "вторник", "tue", "tuesday"), 1),
    **dict.fromkeys(("ср", "среда", "среду", "wed", "wednesday"), 2),
    **dict.fromkeys(("чт", "четверг", "thu", "thursday"), 3),
    **dict.fromkeys(("пт", "пятница", "пятницу", "fri", "friday"), 4),
    **dict.fromkeys(("сб", "суббота", "субботу", "sat", "saturday"), 5),
    **dict.fromkeys(("вс", "воскресенье", "sun", "sunday"), 6),
}
_MONTHS = {
    **dict.fromkeys(("января", "янв", "jan", "january"), 1),
    **dict.fromkeys(("февраля", "фев", "feb", "february"), 2),
    **dict.fromkeys(("марта", "мар", "mar", "march"), 3),
    **dict.fromkeys(("апреля", "апр", "apr", "april"), 4),
    **dict.fromkeys(("мая", "may"), 5),
    **dict.fromkeys(("июня", "июн", "jun", "june"), 6),
    **dict.fromkeys(("июля", "июл", "jul", "july"), 7),
    **dict.fromkeys(("августа", "авг", "aug", "august"), 8),
    **dict.fromkeys(("сентября", "сен", "сент", "sep", "sept", "september"), 9),
    **dict.fromkeys(("октября", "окт", "oct", "october"), 10),
    **dict.fromkeys(("ноября", "ноя", "нояб", "nov", "november"), 11),
    **dict.fromkeys(("декабря", "дек", "dec", "december"), 12),
}
_PARTS_OF_DAY = {
    "утром": time(10, 0),
    "morning": time(10, 0),
    "днем": time(14, 0),
    "afternoon": time(14, 0),
    "вечером": time(18, 0),
    "evening": time(18, 0),
}
# Words that only lead into a time: taken with what follows, or left in the note.
_LEAD_INS = {"в", "во", "на", "к", "at", "on", "by", "the", "this", "next", "следующий"}
_UNITS = {
    **dict.fromkeys(("мин", "минуту", "минуты", "минут", "м", "m", "min", "mins"), 60),
    **dict.fromkeys(("minute", "minutes"), 60),
    **dict.fromkeys(("час", "часа", "часов", "ч", "h", "hour", "hours"), 3600),
    **dict.fromkeys(("день", "дня", "дней", "д", "d", "day", "days"), 86400),
    **dict.fromkeys(("неделю", "недели", "недель", "нед", "week", "weeks"), 7 * 86400),
}
_TOKEN = re.compile(r"[^\s,;]+")
_CLOCK = re.compile(r"^(\d{1,2})[:.\-](\d{2})(am|pm)?$")
_HOUR = re.compile(r"^(\d{1,2})(am|pm|ч)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})(?:[./](\d{2}|\d{4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_COMPACT_SPAN = re.compile(r"^\+?(\d{1,4})([a-zа-я]+)$")
# A span written the config's way on its own («2h», «30m», «3d»); «14ч» is a time of day.
_STANDALONE_UNITS = {"m", "min", "h", "d", "м", "мин", "д"}


@dataclass
class _Reading:
    day: date | None = None
    weekday: int | None = None
    clock: time | None = None
    exact: datetime | None = None  # a span from now: «через 3 часа»
    read_any: bool = False


def _hour(value: int, suffix: str | None) -> int | None:
    if suffix == "pm" and value < 12:
        value += 12
    elif suffix == "am" and value == 12:
        value = 0
    return value if 0 <= value <= 23 else None


def _clock_of(token: str) -> time | None:
    match = _CLOCK.match(token)
    if match is None:
        return None
    hour, minute = _hour(int(match.group(1)), match.group(3)), int(match.group(2))
    return time(hour, minute) if hour is not None and minute <= 59 else None


def _date_of(token: str, today: date) -> date | None:
    match = _ISO_DATE.match(token)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _NUMERIC_DATE.match(token)
        if match is None:
            return None
        day, month = int(match.group(1)), int(match.group(2))
        year_text = match.group(3)
        year = int(year_text) if year_text else 0
        if year_text and len(year_text) == 2:
            year += 2000
    return _calendar_day(year, month, day, today)


def _calendar_day(year: int, month: int, day: int, today: date) -> date | None:
    """The date, or without a year (0) the next one not before today."""
    try:
        if year:
            return date(year, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _span(tokens: list[str], index: int) -> tuple[timedelta, int] | None:
    """«3 часа», «час», «полчаса», «an hour», «2h» at `index`: the span and tokens used."""
    word = tokens[index] if index < len(tokens) else ""
    if word in ("полчаса", "half-hour"):
        return timedelta(minutes=30), 1
    compact = _COMPACT_SPAN.match(word)
    if compact and compact.group(2) in _UNITS:
        return timedelta(seconds=int(compact.group(1)) * _UNITS[compact.group(2)]), 1
    if word in _UNITS:  # «через час», «через неделю»
        return timedelta(seconds=_UNITS[word]), 1
    count = 1 if word in ("a", "an") else (int(word) if word.isdigit() and len(word) <= 4 else 0)
    unit = tokens[index + 1] if index + 1 < len(tokens) else ""
    if count and unit in _UNITS:
        return timedelta(seconds=count * _UNITS[unit]), 2
    return None


def _read_one(tokens: list[str], index: int, reading: _Reading, today: date, now: datetime) -> int:
    """Read the date or time words at `index` into `reading`; how many were used (0:
    none, the note starts here)."""
    token = tokens[index]
    after = tokens[index + 1] if index + 1 < len(tokens) else ""
    if token in ("через", "in", "+"):
        found = _span(tokens, index + 1)
        if found is None or reading.exact is not None:
            return 0
        reading.exact = now + found[0]
        return 1 + found[1]
    compact = _COMPACT_SPAN.match(token)
    if compact and (token.startswith("+") or compact.group(2) in _STANDALONE_UNITS):
        found = _span([token.lstrip("+")], 0)
        if found is None or reading.exact is not None:
            return 0
        reading.exact = now + found[0]
        return 1
    if reading.day is None and reading.weekday is None:
        if token in _DAY_WORDS:
            reading.day = today + timedelta(days=_DAY_WORDS[token])
            return 1
        if token in _WEEKDAYS:
            reading.weekday = _WEEKDAYS[token]
            return 1
        if token.isdigit() and after in _MONTHS:  # «15 декабря»
            reading.day = _calendar_day(0, _MONTHS[after], int(token), today)
            return 2 if reading.day is not None else 0
        if token in _MONTHS and after.isdigit():  # «december 15»
            reading.day = _calendar_day(0, _MONTHS[token], int(after), today)
            return 2 if reading.day is not None else 0
    if reading.clock is None:
        if token in _PARTS_OF_DAY:
            reading.clock = _PARTS_OF_DAY[token]
            return 1
        clock = _clock_of(token)
        # «14.12» is a date unless a date was read already or it cannot be one.
        date_first = reading.day is None and reading.weekday is None and "." in token
        if clock is not None and not (date_first and _date_of(token, today) is not None):
            reading.clock = clock
            return 1
        hour = _HOUR.match(token)
        if hour is not None and (
            hour.group(2) or _has_day(reading) or _after_lead_in(tokens, index)
        ):
            value = _hour(int(hour.group(1)), hour.group(2))
            if value is not None:
                reading.clock = time(value, 0)
                return 1
    if reading.day is None and reading.weekday is None:
        day = _date_of(token, today)
        if day is not None:
            reading.day = day
            return 1
    return 0


def _has_day(reading: _Reading) -> bool:
    return reading.day is not None or reading.weekday is not None


def _after_lead_in(tokens: list[str], index: int) -> bool:
    return index > 0 and tokens[index - 1] in ("в", "к", "at", "by")


def _moment(reading: _Reading, now: datetime, zone: ZoneInfo) -> datetime:
    if reading.exact is not None and reading.clock is None and not _has_day(reading):
        return reading.exact
    local_now = now.astimezone(zone)
    today = local_now.date()
    day = reading.day
    if reading.exact is not None:  # «через 2 дня в 15:00»: the span gives the day
        day = reading.exact.astimezone(zone).date()
    clock = reading.clock or MORNING
    if reading.weekday is not None:
        ahead = (reading.weekday - today.weekday()) % 7
        candidate = today + timedelta(days=ahead)
        if ahead == 0 and datetime.combine(candidate, clock, tzinfo=zone) <= local_now:
            candidate += timedelta(days=7)
        day = candidate
    if day is None:  # a time alone: today, or tomorrow once it has passed
        day = today
        if datetime.combine(day, clock, tzinfo=zone) <= local_now:
            day += timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=zone)


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> TypedWhen:
    """The moment at the start of `text` (in `zone`) and the note after it."""
    original = text.strip()
    matches = list(_TOKEN.finditer(original))
    tokens = [m.group(0).lower().replace("ё", "е").rstrip(".!?") for m in matches]
    today = now.astimezone(zone).date()
    reading = _Reading()
    index, used_until = 0, 0
    while index < len(tokens):
        if tokens[index] in _LEAD_INS:
            used = (
                _read_one(tokens, index + 1, reading, today, now) if index + 1 < len(tokens) else 0
            )
            used = used + 1 if used else 0
        else:
            used = _read_one(tokens, index, reading, today, now)
        if not used:
            break
        reading.read_any = True
        index += used
        used_until = matches[index - 1].end()
    if not reading.read_any:
        raise WhenError(WhenProblem.UNREADABLE)
    at = _moment(reading, now, zone).astimezone(now.tzinfo).replace(second=0, microsecond=0)
    if at <= now:
        raise WhenError(WhenProblem.PAST)
    if at - now > FARTHEST:
        raise WhenError(WhenProblem.TOO_FAR)
    note = original[used_until:].lstrip(" \t-—–:,.;")
    return TypedWhen(at, clean_note(note))
