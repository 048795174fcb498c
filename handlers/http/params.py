"""Query, path and form parameters validated as values, before they reach the database:
one helper for every number (`parse_number`: plain ASCII digits, range-checked, so
`99999999999999999999999`, `²` or `١٢` is a 400 with a reason, never an OverflowError
from SQLite, a DataError from PostgreSQL or a ValueError from int()); an id is a number
that fits the id columns (lead, manager and contact ids are 32-bit INTEGER on
PostgreSQL); a channel one of those the service knows."""

from __future__ import annotations

import re

from domain.channels import CUSTOMER_CHANNELS

MAX_ID = 2**31 - 1
# Plain ASCII digits only: int() would also take " 12", "1_000" and "١٢", and str.isdigit()
# says yes to "²", which int() then refuses. 19 digits hold any 64-bit number.
_DIGITS = re.compile(r"[0-9]{1,19}")
CHANNELS = CUSTOMER_CHANNELS


class BadParameter(ValueError):
    """str() is the reason for the 400."""


def parse_number(raw: str | None, name: str, low: int, high: int) -> int:
    """A whole number from low to high, or BadParameter."""
    if raw is None or not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(f"{name}: expected a whole number from {low} to {high}")
    return int(raw)


def parse_id(raw: str | None, name: str) -> int:
    return parse_number(raw, name, 1, MAX_ID)


def id_or_none(raw: str | None) -> int | None:
    """An id, or None for anything else (the caller answers 400 its own way)."""
    try:
        return parse_id(raw, "id")
    except BadParameter:
        return None


def parse_channel(raw: str) -> str:
    if raw not in CHANNELS:
        raise BadParameter(f"channel: expected one of {', '.join(CHANNELS)}")
    return raw
