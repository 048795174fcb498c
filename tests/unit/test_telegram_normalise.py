"""channels.telegram.normalise: aiogram updates → InboundMessage / InboundEdit; raw repairs."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import Message, Update

from channels.telegram.normalise import (
    CHANNEL,
    Skip,
    edit_from_message,
    inbound_from_message,
    message_key,
    repair_raw_update,
)
from domain.inbound import Attachment

DATE = 1_767_600_000  # 2026-01-05 08:00:00 UTC
ANNA = {
    "id": 42,
    "is_bot": False,
    "first_name": "Anna",
    "last_name": "K",
    "username": "annak",
    "language_code": "ru",
}
PRIVATE = {"id": 42, "type": "private", "first_name": "Anna"}


def raw_message(**fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 55,
        "date": DATE,
        "chat": dict(PRIVATE),
        "from": dict(ANNA),
    }
    message.update(fields)
    return {key: value for key, value in message.items() if value is not None}


def message_of(update_id: int = 1001, kind: str = "message", **fields: Any) -> Message:
    update = Update.model_validate({"update_id": update_id, kind: raw_message(**fields)})
    found = getattr(update, kind)
    assert isinstance(found, Message)
    return found


def inbound(message: Message, update_id: int | None = 1001, **kwargs: Any):
    kwargs.setdefault("allow_groups", False)
    return inbound_from_message(message, update_id, **kwargs)


# --- plain text ----------------------------------------------------------------------------


def test_text_message() -> None:
    result = inbound(message_of(text="Нужна цена на окна"))
    assert result.channel == CHANNEL == "telegram"
    assert result.text == "Нужна цена на окна"
    assert result.attachments == ()
    assert result.external_message_id == "42:55"
    assert result.receipt_key == "1001"
    assert result.sent_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert result.source is None
    assert result.is_start is False
    assert result.extra == {}
    sender = result.sender
    assert sender.external_id == "42"
    assert sender.chat_id == "42"
    assert sender.display_name == "Anna K"
    assert sender.username == "annak"
    assert sender.language == "ru"
    assert sender.phone is None
    assert sender.email is None


def test_external_message_id_is_chat_and_message_id() -> None:
    message = message_of(text="hi", message_id=7, chat={"id": 900, "type": "private"})
    assert message_key(message) == "900:7"
    assert inbound(message).external_message_id == "900:7"
    assert inbound(message).sender.chat_id == "900"
    assert inbound(message).sender.external_id == "42"


@pytest.mark.parametrize(
    ("update_id", "receipt"), [(0, "0"), (734997090, "734997090"), (None, None)]
)
def test_receipt_key_is_the_update_id(update_id: int | None, receipt: str | None) -> None:
    assert inbound(message_of(text="hi"), update_id).receipt_key == receipt


def test_zero_date_gives_no_sent_at() -> None:
    assert inbound(message_of(text="hi", date=0)).sent_at is None


# --- media ---------------------------------------------------------------------------------


def photo_size(name: str, width: int, height: int, size: int) -> dict[str, Any]:
    return {
        "file_id": name,
        "file_unique_id": f"u-{name}",
        "width": width,
        "height": height,
        "file_size": size,
    }


def test_photo_with_caption_keeps_the_largest_size() -> None:
    photo = [
        photo_size("small", 90, 90, 2_000),
        photo_size("large", 1280, 960, 160_000),
        photo_size("medium", 800, 600, 99_000),
        photo_size("tall", 90, 1200, 50_000),  # taller, smaller area
        photo_size("wide", 1300, 90, 60_000),  # wider, smaller area
    ]
    result = inbound(message_of(photo=photo, caption="Вот такое окно"))
    assert result.text == "Вот такое окно"
    assert result.attachments == (
        Attachment("photo", "large", size=160_000, extra={"width": 1280, "height": 960}),
    )
    assert result.attachments[0].as_dict() == {
        "kind": "photo",
        "file_id": "large",
        "size": 160_000,
        "width": 1280,
        "height": 960,
    }


def test_document_without_caption() -> None:
    document = {
        "file_id": "doc1",
        "file_unique_id": "u-doc1",
        "file_name": "plan.pdf",
        "mime_type": "application/pdf",
        "file_size": 536_392,
    }
    result = inbound(message_of(document=document))
    assert result.text == ""
    assert result.attachments == (
        Attachment(
            "document", "doc1", file_name="plan.pdf", mime_type="application/pdf", size=536_392
        ),
    )


def test_voice() -> None:
    voice = {
        "file_id": "v1",
        "file_unique_id": "u-v1",
        "duration": 5,
        "mime_type": "audio/ogg",
        "file_size": 23_000,
    }
    result = inbound(message_of(voice=voice))
    assert result.text == ""
    assert result.attachments == (
        Attachment("voice", "v1", mime_type="audio/ogg", size=23_000, extra={"duration": 5}),
    )


def test_sticker_and_location() -> None:
    sticker = {
        "file_id": "s1",
        "file_unique_id": "u-s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    assert inbound(message_of(sticker=sticker)).attachments == (
        Attachment("sticker", "s1", extra={"emoji": "👍"}),
    )
    location = {"latitude": 55.75, "longitude": 37.62}
    assert inbound(message_of(location=location)).attachments == (
        Attachment("location", extra={"latitude": 55.75, "longitude": 37.62}),
    )


# --- contacts ------------------------------------------------------------------------------


def contact(phone: str, user_id: int | None, first: str = "Anna", last: str | None = "K"):
    card: dict[str, Any] = {"phone_number": phone, "first_name": first}
    if last is not None:
        card["last_name"] = last
    if user_id is not None:
        card["user_id"] = user_id
    return card


def test_contact_shared_by_the_sender_sets_the_phone() -> None:
    result = inbound(message_of(contact=contact("89001234567", user_id=42)))
    assert result.sender.phone == "+79001234567"
    assert result.text == ""
    assert result.attachments == (
        Attachment(
            "contact",
            extra={"phone": "89001234567", "first_name": "Anna", "last_name": "K", "user_id": 42},
        ),
    )


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("79001234567", "+79001234567"),
        ("+7 (900) 123-45-67", "+79001234567"),
        ("88005553535", "+78005553535"),
        ("not a phone", None),
    ],
)
def test_own_contact_phone_is_normalised(phone: str, expected: str | None) -> None:
    assert inbound(message_of(contact=contact(phone, user_id=42))).sender.phone == expected


def test_contact_card_of_somebody_else_sets_no_phone() -> None:
    result = inbound(
        message_of(contact=contact("+79990000000", user_id=777, first="Boris", last=None))
    )
    assert result.sender.phone is None
    assert result.text == ""
    assert result.attachments[0].extra["phone"] == "+79990000000"
    assert result.attachments[0].kind == "contact"
    assert result.attachments[0].extra["user_id"] == 777


def test_contact_card_without_user_id_is_taken_as_the_senders() -> None:
    result = inbound(message_of(contact=contact("8 900 123 45 67", user_id=None)))
    assert result.sender.phone == "+79001234567"


def test_contact_phone_uses_the_given_region() -> None:
    result = inbound(message_of(contact=contact("(650) 253-0000", user_id=42)), region="US")
    assert result.sender.phone == "+16502530000"


# --- /start and deep links -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("/start ad_autumn", "ad_autumn"),
        ("/start  ad-2025_Q4 ", "ad-2025_Q4"),
        ("/start@LeadkeeperBot ad_autumn", "ad_autumn"),
        ("/start", None),
        ("/start ", None),
        ("/start@LeadkeeperBot", None),
        ("/start YnZiMTIzbWlzY0BnbWFpbC5jb20=", None),  # '=' is outside the deep-link alphabet
        ("/start two words", None),
        ("/start " + "a" * 65, None),
    ],
)
def test_start_command(text: str, source: str | None) -> None:
    result = inbound(message_of(text=text))
    assert result.is_start is True
    assert result.source == source
    assert result.text == text


def test_text_that_mentions_start_later_is_not_a_start() -> None:
    result = inbound(message_of(text="please /start ad_autumn"))
    assert result.is_start is False
    assert result.source is None


@pytest.mark.parametrize("text", ["/startup ideas", "/started yesterday"])
def test_other_words_beginning_with_start_are_not_a_start(text: str) -> None:
    assert inbound(message_of(text=text)).is_start is False


# --- what is skipped -----------------------------------------------------------------------


GROUP = {"id": -100123, "type": "group", "title": "Окна Опт"}
SUPERGROUP = {"id": -1001234567890, "type": "supergroup", "title": "Dealers"}


@pytest.mark.parametrize("chat", [GROUP, SUPERGROUP])
def test_group_chat_is_skipped_unless_allowed(chat: dict[str, Any]) -> None:
    message = message_of(text="hi all", chat=chat)
    with pytest.raises(Skip) as caught:
        inbound(message)
    assert str(caught.value) == f"{chat['type']} chat {chat['id']}: groups are off"

    allowed = inbound(message, allow_groups=True)
    assert allowed.text == "hi all"
    assert allowed.extra == {"group_chat": chat["title"]}
    assert allowed.sender.chat_id == str(chat["id"])
    assert allowed.sender.external_id == "42"
    assert allowed.external_message_id == f"{chat['id']}:55"


def test_group_without_title_names_the_chat_id() -> None:
    message = message_of(text="hi", chat={"id": -5, "type": "group"})
    assert inbound(message, allow_groups=True).extra == {"group_chat": "-5"}


def test_channel_post_is_skipped() -> None:
    message = message_of(
        kind="channel_post", text="news", chat={"id": -100777, "type": "channel", "title": "News"}
    )
    message = message.model_copy(update={"from_user": None})
    with pytest.raises(Skip, match="channel chat -100777: groups are off"):
        inbound(message)


def test_no_sender_is_skipped() -> None:
    message = message_of(text="hi", **{"from": None})
    assert message.from_user is None
    with pytest.raises(Skip, match=r"^no human sender$"):
        inbound(message)


def test_bot_sender_is_skipped() -> None:
    bot = {"id": 5, "is_bot": True, "first_name": "OtherBot"}
    with pytest.raises(Skip, match=r"^no human sender$"):
        inbound(message_of(text="hi", **{"from": bot}))


def test_empty_message_is_skipped() -> None:
    with pytest.raises(Skip, match=r"^empty message$"):
        inbound(message_of())


def test_service_message_is_skipped() -> None:
    pinned = raw_message(text="old", message_id=1)
    with pytest.raises(Skip, match=r"^service message "):
        inbound(message_of(pinned_message=pinned))


def test_service_message_skip_reason_names_the_content_type() -> None:
    pinned = raw_message(text="old", message_id=1)
    with pytest.raises(Skip) as caught:
        inbound(message_of(pinned_message=pinned))
    assert str(caught.value) == "service message pinned_message"


# --- edits ---------------------------------------------------------------------------------


def test_edit_from_message() -> None:
    message = message_of(
        update_id=2002, kind="edited_message", text="Нужна цена на 3 окна", edit_date=DATE + 60
    )
    edit = edit_from_message(message, 2002)
    assert edit.channel == "telegram"
    assert edit.sender_external_id == "42"
    assert edit.external_message_id == "42:55"
    assert edit.text == "Нужна цена на 3 окна"
    assert edit.receipt_key == "2002"


def test_edit_from_message_keeps_the_edit_time() -> None:
    message = message_of(kind="edited_message", text="x", edit_date=DATE + 60)
    assert edit_from_message(message, 1).edited_at == datetime(2026, 1, 5, 8, 1, tzinfo=UTC)


def test_edit_of_a_caption() -> None:
    photo = [photo_size("p", 10, 10, 1)]
    message = message_of(
        kind="edited_message", photo=photo, caption="new caption", edit_date=DATE + 5
    )
    edit = edit_from_message(message, None)
    assert edit.text == "new caption"
    assert edit.receipt_key is None


def test_edit_without_sender_is_skipped() -> None:
    message = message_of(kind="edited_message", text="x", edit_date=DATE, **{"from": None})
    with pytest.raises(Skip, match=r"^edit without sender$"):
        edit_from_message(message, 1)


# --- repair_raw_update ---------------------------------------------------------------------


def test_repair_returns_the_same_dict() -> None:
    raw = {"update_id": 1, "message": raw_message(text="hi")}
    before = copy.deepcopy(raw)
    assert repair_raw_update(raw) is raw
    assert raw == before  # nothing to repair, nothing changed


@pytest.mark.parametrize(("chat_id", "chat_type"), [(1111111, "private"), (-100500, "group")])
def test_repair_fills_a_missing_chat_type(chat_id: int, chat_type: str) -> None:
    raw = {"update_id": 1, "message": raw_message(text="/start", chat={"id": chat_id})}
    repair_raw_update(raw)
    assert raw["message"]["chat"]["type"] == chat_type
    assert Update.model_validate(raw).message.chat.type == chat_type


def test_repair_keeps_an_existing_chat_type() -> None:
    raw = {"update_id": 1, "message": raw_message(text="x", chat={"id": 5, "type": "channel"})}
    assert repair_raw_update(raw)["message"]["chat"]["type"] == "channel"


def test_repaired_private_start_becomes_a_start_inbound() -> None:
    sender = {"id": 1111111, "first_name": "Test", "last_name": "Lastname"}  # no is_bot
    raw = {
        "update_id": 10000,
        "message": raw_message(text="/start", chat={"id": 1111111}, **{"from": sender}),
    }
    update = Update.model_validate(repair_raw_update(raw))
    assert update.message is not None
    assert update.message.from_user is not None
    assert update.message.from_user.is_bot is False
    result = inbound(update.message, update.update_id)
    assert result.is_start is True
    assert result.source is None
    assert result.external_message_id == "1111111:55"


def test_repair_keeps_is_bot_when_given() -> None:
    bot = {"id": 9, "is_bot": True, "first_name": "B"}
    raw = {"update_id": 1, "message": raw_message(text="x", **{"from": bot})}
    assert repair_raw_update(raw)["message"]["from"]["is_bot"] is True


@pytest.mark.parametrize(
    "kind", ["message", "edited_message", "channel_post", "edited_channel_post"]
)
def test_repair_covers_every_message_kind(kind: str) -> None:
    raw = {"update_id": 1, kind: {"message_id": 1, "date": DATE, "chat": {"id": -7}, "text": "x"}}
    repair_raw_update(raw)
    assert raw[kind]["chat"]["type"] == "group"
    Update.model_validate(raw)


def test_repair_reaches_nested_messages() -> None:
    reply = {"message_id": 1, "date": DATE, "chat": {"id": 77}, "text": "earlier"}
    pinned = {"message_id": 2, "date": DATE, "chat": {"id": -77}, "text": "pinned"}
    raw = {
        "update_id": 1,
        "message": raw_message(text="re", reply_to_message=reply, pinned_message=pinned),
    }
    repair_raw_update(raw)
    assert reply["chat"]["type"] == "private"
    assert pinned["chat"]["type"] == "group"
    update = Update.model_validate(raw)
    assert update.message.reply_to_message.chat.type == "private"


def test_repair_gives_a_callback_query_a_chat_instance() -> None:
    raw = {
        "update_id": 1,
        "callback_query": {
            "id": "q1",
            "from": dict(ANNA),
            "data": "yes",
            "inline_message_id": "im1",
        },
    }
    repair_raw_update(raw)
    assert raw["callback_query"]["chat_instance"] == ""
    assert Update.model_validate(raw).callback_query.data == "yes"


def test_repair_keeps_an_existing_chat_instance_and_fixes_its_message() -> None:
    bot_message = {"message_id": 9, "date": DATE, "chat": {"id": 42}, "text": "Choose"}
    raw = {
        "update_id": 1,
        "callback_query": {
            "id": "q1",
            "from": dict(ANNA),
            "data": "yes",
            "chat_instance": "-4242",
            "message": bot_message,
        },
    }
    repair_raw_update(raw)
    assert raw["callback_query"]["chat_instance"] == "-4242"
    assert bot_message["chat"]["type"] == "private"
    Update.model_validate(raw)


def test_repair_moves_a_channel_in_forward_from_to_forward_from_chat() -> None:
    channel = {"id": -10000000000, "type": "channel", "title": "Test channel"}
    raw = {
        "update_id": 1,
        "message": raw_message(text="/start", forward_from=channel, forward_date=DATE),
    }
    repair_raw_update(raw)
    assert "forward_from" not in raw["message"]
    assert raw["message"]["forward_from_chat"] == channel
    update = Update.model_validate(raw)
    assert update.message.forward_from is None
    assert update.message.forward_from_chat.title == "Test channel"


def test_repair_forward_from_without_type_is_a_channel() -> None:
    raw = {
        "update_id": 1,
        "message": raw_message(
            text="x", forward_from={"id": -100, "title": "C"}, forward_date=DATE
        ),
    }
    repair_raw_update(raw)
    assert raw["message"]["forward_from_chat"] == {"id": -100, "title": "C", "type": "channel"}


def test_repair_keeps_a_user_in_forward_from() -> None:
    raw = {
        "update_id": 1,
        "message": raw_message(
            text="x", forward_from={"id": 3, "first_name": "U"}, forward_date=DATE
        ),
    }
    repair_raw_update(raw)
    assert raw["message"]["forward_from"] == {"id": 3, "first_name": "U", "is_bot": False}
    assert "forward_from_chat" not in raw["message"]
    assert Update.model_validate(raw).message.forward_from.id == 3


def test_repair_ignores_odd_shapes() -> None:
    raw: dict[str, Any] = {"update_id": 1, "message": "not a dict", "callback_query": None}
    assert repair_raw_update(raw) == {
        "update_id": 1,
        "message": "not a dict",
        "callback_query": None,
    }
    assert repair_raw_update({}) == {}
