"""Customer-facing texts that depend on the time and the config (acknowledgements)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from texts import Texts
from usecases.context import AppContext
from usecases.spans import format_span as format_span  # read from here too

_WEEKDAYS = {
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def when_to_expect(ctx: AppContext, now: datetime, language: str) -> str:
    """ "within 30 min" during working hours, otherwise when the team is back."""
    hours = ctx.config.hours()
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
