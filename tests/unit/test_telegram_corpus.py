"""Real Telegram payloads (/work/shared/corpus/tg_*.json) through repair_raw_update."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Update

from channels.telegram.normalise import Skip, inbound_from_message, repair_raw_update
from tests.support.env import CORPUS

MISSING = f"the shared payload corpus is absent ({CORPUS})"

# Bot API payloads from the official docs that predate fields aiogram requires and that
# repair_raw_update does not fill (its docstring: "so that validation passes").
# Payloads the repair step cannot make valid (none at present).
KNOWN_GAPS: dict[str, str] = {}


def corpus_files() -> list[Any]:
    files = sorted(CORPUS.glob("tg_*.json")) if CORPUS.is_dir() else []
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="no-corpus")]
    return [
        pytest.param(
            path,
            id=path.stem,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[path.name])]
            if path.name in KNOWN_GAPS
            else [],
        )
        for path in files
    ]


def load(name: str) -> dict[str, Any]:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{MISSING}: {name} not found")
    return json.loads(path.read_text(encoding="utf-8"))


def validated(name: str) -> Update:
    return Update.model_validate(repair_raw_update(load(name)))


@pytest.mark.parametrize("path", corpus_files())
def test_every_corpus_update_validates_after_repair(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    update = Update.model_validate(repair_raw_update(raw))
    assert update.update_id == raw["update_id"]


def test_corpus_has_telegram_files() -> None:
    if not CORPUS.is_dir():
        pytest.skip(MISSING)
    assert len(list(CORPUS.glob("tg_*.json"))) >= 20


def test_official_start_without_chat_type() -> None:
    update = validated("tg_official_text_start_no_chat_type.json")
    assert update.message is not None
    assert update.message.chat.type == "private"
    result = inbound_from_message(update.message, update.update_id, allow_groups=False)
    assert result.is_start is True
    assert result.source is None
    assert result.external_message_id == "1111111:1365"
    assert result.receipt_key == "10000"
    assert result.sender.display_name == "Test Test Lastname"


def test_official_forwarded_channel_message() -> None:
    update = validated("tg_official_forwarded_channel_message.json")
    assert update.message is not None
    assert update.message.forward_from is None
    assert update.message.forward_from_chat is not None
    assert update.message.forward_from_chat.id == -10000000000
    assert update.message.forward_from_chat.type == "channel"


def test_contact_without_user_id_is_the_senders_phone() -> None:
    update = validated("tg_contact_shared_phone.json")
    result = inbound_from_message(update.message, update.update_id, allow_groups=False)
    assert result.sender.phone == "+78005553535"
    # No raw "John Smith 88005553535" as text: the card reads the contact in words.
    assert result.text == ""
    [card] = result.attachments
    assert (card.kind, card.extra["first_name"], card.extra["phone"]) == (
        "contact",
        "John",
        "88005553535",
    )
    assert result.receipt_key == "900000006"
    assert result.sender.language == "ru"


def test_deep_link_with_a_hand_typed_payload_has_no_source() -> None:
    update = validated("tg_start_deeplink_payload.json")
    result = inbound_from_message(update.message, update.update_id, allow_groups=False)
    assert result.is_start is True
    assert result.source is None
    assert result.sender.language == "en"
    assert result.external_message_id == "996202131:51"


def test_photo_keeps_the_largest_size() -> None:
    update = validated("tg_photo_caption_url_entity.json")
    result = inbound_from_message(update.message, update.update_id, allow_groups=False)
    assert result.text == "www.example.com"
    (photo,) = result.attachments
    assert photo.kind == "photo"
    assert photo.extra == {"width": 1280, "height": 1280}
    assert photo.size == 162061
    assert photo.file_id.endswith("ADeQADJAQ")


def test_html_text_is_kept_raw() -> None:
    update = validated("tg_html_special_chars_text.json")
    result = inbound_from_message(update.message, update.update_id, allow_groups=False)
    assert result.text == "<b>b</b> <i>i</i>"
    assert result.sender.display_name.startswith(">_run")


def test_message_without_sender_or_content_is_skipped() -> None:
    update = validated("tg_empty_message_no_content.json")
    with pytest.raises(Skip, match="no human sender"):
        inbound_from_message(update.message, update.update_id, allow_groups=False)


def test_group_service_message_is_skipped() -> None:
    update = validated("tg_group_chat_migrate_service_message.json")
    with pytest.raises(Skip, match="groups are off"):
        inbound_from_message(update.message, update.update_id, allow_groups=False)
