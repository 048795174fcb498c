"""Query and path parameters validated as values, before they reach the database: an id
is a positive whole number that fits the id columns (lead, manager and contact ids are
32-bit INTEGER on PostgreSQL, so `99999999999999999999999` or 2⁶³−1 is a 400, not a
500), a channel one of those the service knows."""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1
# Plain ASCII digits only: int() would also take " 12", "1_000" and "١٢".
_DIGITS = re.compile(r"[0-9]{1,10}")
CHANNELS = ("telegram", "telegram_business", "max", "avito", "vk", "whatsapp", "email", "form")


class BadParameter(ValueError):
    """str() is the reason for the 400."""


def parse_id(raw: str, name: str) -> int:
    if not _DIGITS.fullmatch(raw) or not 0 < int(raw) <= MAX_ID:
        raise BadParameter(f"{name}: expected a whole number from 1 to {MAX_ID}")
    return int(raw)


def parse_channel(raw: str) -> str:
    if raw not in CHANNELS:
        raise BadParameter(f"channel: expected one of {', '.join(CHANNELS)}")
    return raw
