"""What staff see in Telegram: lead cards and pings with their buttons (outbox payloads).

Button data is `lead:<action>:<lead id>:<argument>`, the layout of aiogram's
CallbackData with prefix "lead" (bot/callbacks.py reads it back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.pipeline import LeadStatus
from texts import Safe, Texts
from usecases.replies import format_span

FORWARD = {
    LeadStatus.NEW.value: [LeadStatus.CONTACTED.value],
    LeadStatus.CONTACTED.value: [LeadStatus.QUALIFIED.value],
    LeadStatus.QUALIFIED.value: [LeadStatus.PROPOSAL.value],
    LeadStatus.PROPOSAL.value: [],
}


def button_data(action: str, lead_id: int, argument: str = "") -> str:
    return f"lead:{action}:{lead_id}:{argument}"


def _button(
    texts: Texts,
    language: str,
    key: str,
    action: str,
    lead_id: int,
    argument: str = "",
    **params: Any,
) -> dict[str, str]:
    return {
        "text": str(texts.get(key, language, **params)),
        "callback_data": button_data(action, lead_id, argument),
    }


def stage_name(texts: Texts, language: str, status: str) -> Safe:
    return texts.get(f"stage_{status}", language)


def card_text(
    texts: Texts,
    language: str,
    *,
    lead: Any,
    contact: Any,
    conversation: Safe,
    now: datetime,
    header: str,
) -> Safe:
    contacts = ""
    if contact.phone or contact.email:
        contacts = texts.get(
            "card_contacts", language, phone=contact.phone or "—", email=contact.email or "—"
        )
    body = texts.get(
        "card",
        language,
        lead_id=lead.id,
        lead_class=lead.lead_class or "—",
        channel=lead.channel,
        customer=contact.display_name or contact.username or f"#{contact.id}",
        source=lead.source or "—",
        contacts=Safe(contacts),
        age=format_span(texts, now - lead.created_at, language),
        conversation=conversation,
    )
    return Safe(f"{header}\n\n{body}")


def offer_buttons(texts: Texts, language: str, lead_id: int) -> list[list[dict[str, str]]]:
    return [
        [
            _button(texts, language, "btn_accept", "acc", lead_id),
            _button(texts, language, "btn_decline", "dec", lead_id),
        ]
    ]


def work_buttons(
    texts: Texts, language: str, lead_id: int, status: str
) -> list[list[dict[str, str]]]:
    rows = [
        [
            _button(texts, language, "btn_reply", "rep", lead_id),
            _button(texts, language, "btn_comment", "com", lead_id),
            _button(texts, language, "btn_complaint", "cmpl", lead_id),
        ]
    ]
    forward = FORWARD.get(status, [])
    if forward:
        rows.append(
            [
                _button(
                    texts,
                    language,
                    "btn_stage",
                    "stg",
                    lead_id,
                    stage,
                    stage=stage_name(texts, language, stage),
                )
                for stage in forward
            ]
        )
    rows.append(
        [
            _button(texts, language, "btn_won", "won", lead_id),
            _button(texts, language, "btn_lost", "lost", lead_id),
            _button(texts, language, "btn_disqualify", "dq", lead_id),
        ]
    )
    return rows


def reason_buttons(
    texts: Texts, language: str, lead_id: int, outcome: str, reasons: list[str]
) -> list[list[dict[str, str]]]:
    rows = [
        [{"text": reason, "callback_data": button_data("rsn", lead_id, f"{outcome}.{index}")}]
        for index, reason in enumerate(reasons)
    ]
    rows.append([_button(texts, language, "btn_reason_other", "rsn", lead_id, f"{outcome}.x")])
    return rows


def head_buttons(
    texts: Texts, language: str, lead_id: int, managers: list[tuple[int, str]]
) -> list[list[dict[str, str]]]:
    rows = [[_button(texts, language, "btn_take", "take", lead_id)]]
    rows.extend(
        [_button(texts, language, "btn_assign_to", "asg", lead_id, str(manager_id), name=name)]
        for manager_id, name in managers[:6]
    )
    return rows


def payload(text: str, buttons: list[list[dict[str, str]]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if buttons:
        data["buttons"] = buttons
    return data
