"""Customer-facing texts that depend on the time and the config (acknowledgements)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from texts import Texts
from usecases.context import AppContext

_WEEKDAYS = {
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def format_span(texts: Texts, delta: timedelta, language: str) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 1440 == 0:
        return texts.get("days", language, n=minutes // 1440)
    if minutes % 60 == 0:
        return texts.get("hours", language, n=minutes // 60)
    return texts.get("minutes", language, n=minutes)


def when_to_expect(ctx: AppContext, now: datetime, language: str) -> str:
    """ "within 30 min" during working hours, otherwise when the team is back."""
    hours = ctx.config.company.hours()
    if hours.is_open(now):
        sla = format_span(ctx.texts, ctx.config.sla.first_response, language)
        return ctx.texts.get("when_in_hours", language, sla=sla)
    back = hours.next_open(now)
    if back is None:
        return ctx.texts.get("when_unknown", language)
    local = back.astimezone(hours.zone)
    moment = f"{_WEEKDAYS[language][local.weekday()]} {local:%d.%m %H:%M}"
    return ctx.texts.get("when_closed", language, back=moment)


def phone_keyboard(texts: Texts, language: str) -> dict[str, Any]:
    return {"request_phone": texts.get("phone_button", language)}
