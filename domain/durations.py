"""Durations as the YAML config writes them: `45s`, `30m`, `2h`, `3d`."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(value: object) -> timedelta:
    """Parse `45s`/`30m`/`2h`/`3d` (or a bare number of seconds) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 45s, 30m, 2h or 3d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        try:
            return timedelta(seconds=value)
        except (OverflowError, ValueError):
            raise ValueError(f"duration {value!r} is too long") from None
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if match:
            try:
                return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
            except OverflowError:
                raise ValueError(f"duration {value!r} is too long") from None
    raise ValueError(f"expected a duration such as 45s, 30m, 2h or 3d, got {value!r}")


def format_duration(delta: timedelta) -> str:
    """The shortest exact YAML spelling of a duration (inverse of parse_duration)."""
    total = delta.total_seconds()
    if total != int(total):
        return f"{total:g}s"
    seconds = int(total)
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
