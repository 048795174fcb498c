"""Spans of time in the reader's language: the one formatter behind Telegram texts, the
reports (chat and dashboard) and anything else that shows "30 min" or "2 h"."""

from __future__ import annotations

from datetime import timedelta

from domain.durations import is_fresh, span_units
from texts import Texts

_TEXT_KEY = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def format_span(texts: Texts, delta: timedelta, language: str) -> str:
    count, unit = span_units(delta)
    return texts.get(_TEXT_KEY[unit], language, n=count)


def format_age(texts: Texts, delta: timedelta, language: str) -> str:
    """How long ago something happened: "just now" under a minute, else "5 min ago"."""
    if is_fresh(delta):
        return texts.get("just_now", language)
    return texts.get("ago", language, span=format_span(texts, delta, language))


def format_seconds(texts: Texts, seconds: float | None, language: str) -> str:
    """A measured span (a median, a p90) in seconds; "—" when there is none."""
    if seconds is None:
        return "—"
    return format_span(texts, timedelta(seconds=seconds), language)
