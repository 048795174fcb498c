"""What staff see in Telegram: lead cards and pings with their buttons (outbox payloads).

Button data is written by domain/buttons.py (bot/callbacks.py reads it back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.buttons import (
    NO_AMOUNT,
    TYPED_TIME,
    LeadButton,
    TermsButton,
    lead_button,
    terms_button,
)
from domain.next_steps import Preset
from domain.pipeline import LeadStatus
from texts import Safe, Texts
from usecases.labels import channel_label, class_label, reason_label, source_label
from usecases.spans import format_age

FORWARD = {
    LeadStatus.NEW.value: [LeadStatus.CONTACTED.value],
    LeadStatus.CONTACTED.value: [LeadStatus.QUALIFIED.value],
    LeadStatus.QUALIFIED.value: [LeadStatus.PROPOSAL.value],
    LeadStatus.PROPOSAL.value: [],
}


def _button(
    texts: Texts,
    language: str,
    key: str,
    action: LeadButton,
    lead_id: int,
    argument: str = "",
    **params: Any,
) -> dict[str, str]:
    return {
        "text": str(texts.get(key, language, **params)),
        "callback_data": lead_button(action, lead_id, argument),
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
        lead_class=class_label(texts, language, lead.lead_class) if lead.lead_class else "—",
        channel=channel_label(texts, language, lead.channel),
        customer=contact.display_name or contact.username or f"#{contact.id}",
        source=source_label(texts, language, lead.source),
        contacts=Safe(contacts),
        age=format_age(texts, now - lead.created_at, language),
        conversation=conversation,
    )
    return Safe(f"{header}\n\n{body}")


def offer_buttons(texts: Texts, language: str, lead_id: int) -> list[list[dict[str, str]]]:
    return [
        [
            _button(texts, language, "btn_accept", LeadButton.ACCEPT, lead_id),
            _button(texts, language, "btn_decline", LeadButton.DECLINE, lead_id),
        ]
    ]


def step_rows(texts: Texts, language: str, lead_id: int) -> list[list[dict[str, str]]]:
    """The next step in one tap: «через 2 часа», «завтра 10:00», «через 3 дня», or typed."""
    presets = [
        _button(texts, language, f"btn_step_{preset.value}", LeadButton.NEXT_STEP, lead_id, preset)
        for preset in Preset
    ]
    typed = _button(texts, language, "btn_step_typed", LeadButton.NEXT_STEP, lead_id, TYPED_TIME)
    return [presets[:2], [*presets[2:], typed]]


def work_buttons(
    texts: Texts,
    language: str,
    lead_id: int,
    status: str,
    *,
    steps: bool = True,
    terms: bool = False,
) -> list[list[dict[str, str]]]:
    rows = [
        [
            _button(texts, language, "btn_reply", LeadButton.REPLY, lead_id),
            _button(texts, language, "btn_comment", LeadButton.COMMENT, lead_id),
            _button(texts, language, "btn_complaint", LeadButton.COMPLAIN, lead_id),
        ]
    ]
    if steps:
        rows += step_rows(texts, language, lead_id)
    forward = FORWARD.get(status, [])
    if forward:
        rows.append(
            [
                _button(
                    texts,
                    language,
                    "btn_stage",
                    LeadButton.MOVE_STAGE,
                    lead_id,
                    stage,
                    stage=stage_name(texts, language, stage),
                )
                for stage in forward
            ]
        )
    if terms:
        rows.append([_button(texts, language, "btn_terms", LeadButton.SPECIAL_TERMS, lead_id)])
    rows.append(
        [
            _button(texts, language, "btn_won", LeadButton.WON, lead_id),
            _button(texts, language, "btn_lost", LeadButton.LOST, lead_id),
            _button(texts, language, "btn_disqualify", LeadButton.DISQUALIFY, lead_id),
        ]
    )
    return rows


def amount_buttons(texts: Texts, language: str, lead_id: int) -> list[list[dict[str, str]]]:
    """Under «Сумма сделки?»: close as won without an amount."""
    return [[_button(texts, language, "btn_no_amount", LeadButton.WON, lead_id, NO_AMOUNT)]]


def terms_kind_buttons(
    texts: Texts, language: str, lead_id: int, kinds: list[str]
) -> list[list[dict[str, str]]]:
    """Under «Особые условия»: the kinds the team's rules offer, each opening its question."""
    return [
        [
            _button(texts, language, f"btn_term_{kind}", LeadButton.SPECIAL_TERMS, lead_id, kind)
            for kind in kinds
        ]
    ]


def terms_answer_buttons(
    texts: Texts, language: str, request_id: int
) -> list[list[dict[str, str]]]:
    """A head's «Одобрить» / «Отказать» under a special-terms request."""
    return [
        [
            {
                "text": str(texts.get("btn_terms_approve", language)),
                "callback_data": terms_button(TermsButton.APPROVE, request_id),
            },
            {
                "text": str(texts.get("btn_terms_decline", language)),
                "callback_data": terms_button(TermsButton.DECLINE, request_id),
            },
        ]
    ]


def reason_buttons(
    texts: Texts, language: str, lead_id: int, outcome: str, reasons: list[str]
) -> list[list[dict[str, str]]]:
    rows = [
        [
            {
                "text": reason_label(texts, language, reason),
                "callback_data": lead_button(
                    LeadButton.CHOOSE_REASON, lead_id, f"{outcome}.{index}"
                ),
            }
        ]
        for index, reason in enumerate(reasons)
    ]
    rows.append(
        [
            _button(
                texts,
                language,
                "btn_reason_other",
                LeadButton.CHOOSE_REASON,
                lead_id,
                f"{outcome}.x",
            )
        ]
    )
    return rows


def head_buttons(
    texts: Texts, language: str, lead_id: int, managers: list[tuple[int, str]]
) -> list[list[dict[str, str]]]:
    rows = [[_button(texts, language, "btn_take", LeadButton.TAKE, lead_id)]]
    rows.extend(
        [
            _button(
                texts,
                language,
                "btn_assign_to",
                LeadButton.ASSIGN_TO,
                lead_id,
                str(manager_id),
                name=name,
            )
        ]
        for manager_id, name in managers[:6]
    )
    return rows


def head_rows(texts: Texts, language: str, lead_id: int) -> list[list[dict[str, str]]]:
    """What every lead card a head sees carries: hand it to someone, or take it."""
    return [
        [
            _button(texts, language, "btn_pass", LeadButton.PASS, lead_id),
            _button(texts, language, "btn_take", LeadButton.TAKE, lead_id),
        ]
    ]


def payload(text: str, buttons: list[list[dict[str, str]]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if buttons:
        data["buttons"] = buttons
    return data
