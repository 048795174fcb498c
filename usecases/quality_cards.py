"""What the heads get of the weekly sample, built in the reader's language: the week's
heading (how many conversations of whose) and a card per conversation (who handled it,
its outcome, its latest messages, a link to the whole conversation) with buttons 1–5."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.buttons import NO_COMMENT, grade_button
from domain.quality import GRADES
from storage.models import Lead, Manager, Message
from texts import Safe, Texts
from usecases import cards

# The card shows the conversation's end: enough to judge its tone and its close.
LAST_MESSAGES = 6
MESSAGE_CHARS = 200


def dashboard_link(base_url: str, sample_id: int | None = None) -> str:
    anchor = f"#sample-{sample_id}" if sample_id is not None else ""
    return f"{base_url.rstrip('/')}/dashboard/quality{anchor}"


def heading(
    texts: Texts, language: str, counts: list[tuple[str, int]], link: str
) -> dict[str, Any]:
    managers = "\n".join(
        texts.get(
            "quality_round_manager",
            language,
            name=name,
            conversations=texts.plural("quality_conversations", language, count),
        )
        for name, count in counts
    )
    total = sum(count for _, count in counts)
    text = texts.get(
        "quality_round_title",
        language,
        conversations=texts.plural("quality_conversations", language, total),
        managers=Safe(managers),
        link=link,
    )
    return cards.payload(text)


def grade_rows(texts: Texts, language: str, sample_id: int) -> list[list[dict[str, str]]]:
    return [
        [
            {
                "text": str(texts.get("btn_quality_grade", language, grade=grade)),
                "callback_data": grade_button(sample_id, grade),
            }
            for grade in GRADES
        ]
    ]


def no_comment_rows(texts: Texts, language: str, sample_id: int) -> list[list[dict[str, str]]]:
    return [
        [
            {
                "text": str(texts.get("btn_quality_no_comment", language)),
                "callback_data": grade_button(sample_id, NO_COMMENT),
            }
        ]
    ]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def transcript(
    texts: Texts,
    language: str,
    messages: list[Message],
    names: dict[int, str],
) -> Safe:
    lines = []
    for message in messages:
        if message.direction == "in":
            who = str(texts.get("quality_from_customer", language))
        elif message.author_manager_id is not None:
            who = names.get(message.author_manager_id, "—")
        else:
            who = str(texts.get("quality_from_bot", language))
        lines.append(
            texts.get("quality_said", language, who=who, text=_shorten(message.text or "📎"))
        )
    return Safe("\n".join(lines)) if lines else texts.get("quality_no_messages", language)


def sample_card(
    texts: Texts,
    language: str,
    *,
    sample_id: int,
    lead: Lead,
    customer: str,
    manager: Manager,
    messages: list[Message],
    total: int,
    names: dict[int, str],
    zone: ZoneInfo,
    link: str,
) -> dict[str, Any]:
    closed: datetime = lead.closed_at or lead.created_at
    text = texts.get(
        "quality_card",
        language,
        lead_id=lead.id,
        customer=customer,
        manager=manager.name,
        outcome=texts.get(f"stage_{lead.status}", language),
        closed=f"{closed.astimezone(zone):%d.%m.%Y}",
        messages=texts.plural("quality_messages", language, total),
        transcript=transcript(texts, language, messages, names),
        link=link,
    )
    return cards.payload(text, grade_rows(texts, language, sample_id))
