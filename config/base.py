"""The config's building blocks: strict models and the value types the
sections share (durations, time zones)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict

from domain.durations import parse_duration

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}, expected e.g. Europe/Moscow") from None
    return value


TimeZone = Annotated[str, BeforeValidator(lambda v: _check_timezone(str(v)))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
