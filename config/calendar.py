"""The `calendar:` section: the production calendar the working hours, the SLA and (when
asked) the quiet hours count on.

The country's public holidays, its substituted days off and its transferred working days
come from the `holidays` library (maintained; Russia's government decrees are in it up to
the year it was released for, e.g. 0.109 has 2025–2027). The YAML adds the company's own:

    calendar:
      country: ru               # an ISO 3166 code the library knows, or none
      extra_holidays: [2026-12-30]
      extra_working_days: [2026-12-26]
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from config.base import Strict
from domain.calendar import WorkCalendar

# The years the country's days are taken for: far enough both ways for any lead's clock.
YEARS = range(2000, 2061)
# Read when a config leaves `country` out; the test suite sets it to "none" so that no test
# depends on the date it runs (tests of the calendar name their country).
DEFAULT_COUNTRY = "ru"


def _country(value: Any) -> str | None:
    if value is None or value is False:
        return None
    code = str(value).strip().upper()
    if code in {"NONE", "OFF", ""}:
        return None
    import holidays

    if code not in holidays.list_supported_countries():
        raise ValueError(f"unknown country {value!r}, expected an ISO code such as ru, or none")
    return code.lower()


def _default_country() -> str | None:
    return _country(DEFAULT_COUNTRY)


@lru_cache(maxsize=16)
def country_days(country: str) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays and substituted days off, transferred working days) of a country."""
    import holidays

    days = holidays.country_holidays(country.upper(), years=YEARS)
    return frozenset(days), frozenset(days.weekend_workdays)


class Calendar(Strict):
    country: Annotated[str | None, BeforeValidator(_country)] = Field(
        default_factory=_default_country
    )
    extra_holidays: list[date] = Field(default_factory=list)
    extra_working_days: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_clash(self) -> Calendar:
        clash = set(self.extra_holidays) & set(self.extra_working_days)
        if clash:
            raise ValueError(
                f"{min(clash)} is listed both in extra_holidays and in extra_working_days"
            )
        return self

    def build(self) -> WorkCalendar:
        return _built(self.country, tuple(self.extra_holidays), tuple(self.extra_working_days))


@lru_cache(maxsize=64)
def _built(
    country: str | None, extra_holidays: tuple[date, ...], extra_working_days: tuple[date, ...]
) -> WorkCalendar:
    # Built once per distinct section: the SLA and the shifts ask for it at every turn.
    holidays, working = country_days(country) if country else (frozenset(), frozenset())
    return WorkCalendar.build(
        country,
        holidays,
        working,
        extra_holidays=extra_holidays,
        extra_working_days=extra_working_days,
    )
