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


def _largest_unit(seconds: int, units: str) -> tuple[int, str]:
    """The one rule for spelling a span: the largest of `units` that divides it exactly."""
    for unit in units:
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return seconds // size, unit
    return seconds, "s"


def format_duration(delta: timedelta) -> str:
    """The shortest exact YAML spelling of a duration (inverse of parse_duration)."""
    total = delta.total_seconds()
    if total != int(total):
        return f"{total:g}s"
    count, unit = _largest_unit(int(total), "dhm")
    return f"{count}{unit}"


def span_units(delta: timedelta) -> tuple[int, str]:
    """A span as people read it: whole seconds under a minute; above, whole minutes
    (rounded half to even) in the largest of d/h/m that divides them exactly —
    format_duration's rule at minute resolution. (20 s stays "20 s", 90 min stays
    "90 min"; 120 min is "2 h"; 1440 min is "1 d".)"""
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 60:
        return seconds, "s"
    minutes = round(delta.total_seconds() / 60)
    return _largest_unit(minutes * 60, "dhm")


def is_fresh(delta: timedelta) -> bool:
    """Younger than a minute: "just now" rather than a count of seconds."""
    return delta.total_seconds() < 60


def to_minutes(seconds: float) -> float:
    """Seconds as (fractional) minutes, for drawing spans on a minutes axis."""
    return seconds / 60
