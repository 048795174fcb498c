"""How staff read a conversation: files and contacts in words, long text split and cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from domain.text_split import split_text
from texts import Texts
from usecases.conversation import attachment_line, card_conversation, message_body


@dataclass
class Stored:
    text: str
    direction: str = "in"
    channel: str = "telegram"
    attachments: list[Any] = field(default_factory=list)


TEXTS = Texts()


def test_a_shared_contact_reads_as_a_name_and_a_formatted_phone() -> None:
    line = attachment_line(
        TEXTS,
        "ru",
        {"kind": "contact", "phone": "79161234567", "first_name": "John", "last_name": "Smith"},
        "telegram",
    )
    assert line == "👤 Контакт: John Smith, +7 916 123-45-67"


def test_a_location_is_a_map_link_and_a_vk_photo_its_url() -> None:
    place = attachment_line(
        TEXTS, "en", {"kind": "location", "latitude": 55.75, "longitude": 37.6}, "telegram"
    )
    assert place is not None and "https://yandex.ru/maps/?pt=37.6,55.75" in place
    photo = attachment_line(TEXTS, "ru", {"kind": "photo", "url": "https://vk.com/p.jpg"}, "vk")
    assert photo == "📷 Фото: https://vk.com/p.jpg"
    voice = attachment_line(TEXTS, "ru", {"kind": "voice"}, "whatsapp")
    assert voice == "🎤 Голосовое сообщение (откройте в канале whatsapp)"


def test_customer_html_is_escaped_and_a_long_text_is_cut() -> None:
    body, cut = message_body(TEXTS, "ru", "<b>" + "а" * 700, [], "telegram", limit=600)
    assert cut and body.startswith("&lt;b&gt;") and body.endswith("…")


def test_the_card_marks_the_cut_and_the_messages_it_leaves_out() -> None:
    messages = [Stored("x" * 5000), Stored("Ответ", direction="out")]
    text = card_conversation(TEXTS, "ru", 7, messages, total=9)
    assert "ранее сообщений: 7" in text
    assert "обрезано, полностью: /lead 7 full" in text
    assert "💬 Менеджер: Ответ" in text
    assert len(text) < 1500


@pytest.mark.parametrize("limit", [50, 100, 4096])
def test_split_keeps_every_word_in_order_within_the_limit(limit: int) -> None:
    text = "\n\n".join(
        " ".join(f"Предложение {p}.{n} о доставке." for n in range(30)) for p in range(10)
    )
    pieces = split_text(text, limit)
    assert all(len(piece) <= limit for piece in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_split_prefers_paragraphs_then_sentences() -> None:
    text = "Первый абзац. Ещё фраза.\n\nВторой абзац."
    assert split_text(text, 30) == ["Первый абзац. Ещё фраза.", "Второй абзац."]
    assert split_text("Раз два. Три четыре пять.", 15) == ["Раз два.", "Три четыре", "пять."]
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
