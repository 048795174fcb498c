"""What staff see about next steps in Telegram: the step's time in words, the confirmation
with its kind buttons, the reminders with «Сделано» and the presets (outbox payloads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.buttons import LeadButton, lead_button
from domain.next_steps import StepKind, day_of
from texts import Safe, Texts
from usecases import cards

Rows = list[list[dict[str, str]]]


def moment_text(texts: Texts, language: str, at: datetime, now: datetime, zone: ZoneInfo) -> Safe:
    """«сегодня в 14:30», «завтра в 10:00», «пт, 09.01 в 11:00» in the team's time zone."""
    local = at.astimezone(zone)
    clock = f"{local:%H:%M}"
    days = day_of(at, now, zone)
    if days == 0:
        return texts.get("step_when_today", language, time=clock)
    if days == 1:
        return texts.get("step_when_tomorrow", language, time=clock)
    return texts.get(
        "step_when_date",
        language,
        weekday=texts.get(f"weekday_{local.weekday()}", language),
        date=f"{local:%d.%m}" if local.year == now.astimezone(zone).year else f"{local:%d.%m.%Y}",
        time=clock,
    )


def kind_name(texts: Texts, language: str, kind: str) -> Safe:
    return texts.get(f"step_kind_{kind}", language)


def note_text(texts: Texts, language: str, note: str | None, key: str = "step_note") -> Safe:
    return texts.get(key, language, note=note) if note else Safe("")


def kind_rows(texts: Texts, language: str, lead_id: int, step_id: int, chosen: str) -> Rows:
    """A button per kind (the chosen one ticked) and one for a note."""
    buttons = []
    for kind in StepKind:
        label = texts.get(f"btn_kind_{kind.value}", language)
        if kind == chosen:
            label = texts.get("btn_kind_chosen", language, label=label)
        buttons.append(
            {
                "text": str(label),
                "callback_data": lead_button(LeadButton.STEP_KIND, lead_id, f"{step_id}.{kind}"),
            }
        )
    note = {
        "text": str(texts.get("btn_step_note", language)),
        "callback_data": lead_button(LeadButton.STEP_NOTE, lead_id, str(step_id)),
    }
    return [buttons[:2], buttons[2:], [note]]


def confirmation(
    texts: Texts,
    language: str,
    *,
    lead_id: int,
    customer: str,
    step: Any,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[Safe, Rows]:
    text = texts.get(
        "step_set",
        language,
        lead_id=lead_id,
        customer=customer,
        kind=kind_name(texts, language, step.kind),
        when=moment_text(texts, language, step.due_at, now, zone),
        note=note_text(texts, language, step.note),
    )
    return text, kind_rows(texts, language, lead_id, step.id, step.kind)


def asking(texts: Texts, language: str, key: str, lead_id: int, **params: Any) -> dict[str, Any]:
    """A question for the next step, answered with one tap on a preset."""
    text = texts.get(key, language, lead_id=lead_id, **params)
    return cards.payload(text, cards.step_rows(texts, language, lead_id))


def due_reminder(
    texts: Texts,
    language: str,
    *,
    lead_id: int,
    customer: str,
    step: Any,
    now: datetime,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """The step's time has come: «Сделано», or move it on with a preset."""
    text = texts.get(
        "step_due",
        language,
        lead_id=lead_id,
        customer=customer,
        kind=kind_name(texts, language, step.kind),
        when=moment_text(texts, language, step.due_at, now, zone),
        note=note_text(texts, language, step.note),
    )
    done = {
        "text": str(texts.get("btn_step_done", language)),
        "callback_data": lead_button(LeadButton.STEP_DONE, lead_id, str(step.id)),
    }
    return cards.payload(text, [[done], *cards.step_rows(texts, language, lead_id)])
