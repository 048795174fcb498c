"""Avito webhook events → the inbound shape, the lead's source from the listing, what is
no customer's message, the sender's payload mapping and the settings Avito needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.avito.api import AvitoApiError
from channels.avito.normalise import (
    BadEvent,
    Listing,
    Skip,
    chat_info,
    check_event,
    event_key,
    inbound_from_message,
    is_ours,
    is_probe,
    message_of,
)
from channels.avito.plugin import build
from channels.avito.sender import plain_text, result_of_error
from config.business import ConfigError
from tests.emulator.avito.events import EventFactory
from tests.support.service import make_settings
from usecases.ports import SendStatus

ACCOUNT, BUYER = 70_001, 5550001


class Factory(EventFactory):
    account_id = ACCOUNT


def inbound(event: dict[str, Any], chat: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    message = message_of(check_event(event))
    return inbound_from_message(message, chat_info(chat, ACCOUNT) if chat else None)


def test_a_text_on_a_listing_is_an_enquiry_whose_source_is_the_listing() -> None:
    factory = Factory()
    item = factory.listing("Диван угловой", "https://www.avito.ru/moskva/divan_1")
    event = factory.buyer_writes(BUYER, item, "  Ещё продаётся? ", name="Пётр")
    chat = factory.chats[event["payload"]["value"]["chat_id"]]
    result = inbound(json.loads(json.dumps(event)), factory.chat_answer(chat))
    assert result.text == "Ещё продаётся?" and result.channel == "avito"
    assert result.sender.chat_id == result.sender.external_id == chat.chat_id
    assert result.sender.display_name == "Пётр"
    assert result.source == "Диван угловой — https://www.avito.ru/moskva/divan_1"
    assert result.extra["avito_item_id"] == item and result.sent_at is not None
    assert result.external_message_id == event["payload"]["value"]["id"]
    # Without the chat's details (Avito did not answer) the message is still an enquiry.
    assert inbound(event).source is None and inbound(event).text == "Ещё продаётся?"


def test_every_kind_of_message_maps_and_what_nobody_wrote_is_skipped() -> None:
    factory = Factory()
    item = factory.listing("Велосипед")
    sizes = {"140x105": "https://img/s", "1280x960": "https://img/l", "640x480": "https://img/m"}
    shapes = {
        "image": ({"image": {"sizes": sizes}}, "photo"),
        "voice": ({"voice": {"voice_id": "v1"}}, "voice"),
        "location": ({"location": {"lat": 55.7, "lon": 37.6, "text": "Москва"}}, "location"),
        "file": ({"file": {"name": "смета.pdf", "url": "https://f/1"}}, "document"),
    }
    for kind, (content, expected) in shapes.items():
        result = inbound(factory.buyer_writes(BUYER, item, kind=kind, content=content))
        assert [a.kind for a in result.attachments] == [expected], kind
    photo = inbound(factory.buyer_writes(BUYER, item, kind="image", content=shapes["image"][0]))
    assert photo.attachments[0].extra["url"] == "https://img/l"
    link = factory.buyer_writes(
        BUYER, item, kind="link", content={"link": {"text": "вот", "url": "https://x.ru"}}
    )
    assert inbound(link).text == "вот https://x.ru"
    for kind, content in (
        ("system", {"text": "Покупатель посмотрел ваш номер"}),
        ("call", {"call": {"status": "missed"}}),
        ("deleted", {}),
        ("text", {"text": "   "}),
    ):
        with pytest.raises(Skip):
            inbound(factory.buyer_writes(BUYER, item, kind=kind, content=content))
    notice = factory.buyer_writes(BUYER, item, "Сделка состоялась?")
    notice["payload"]["value"]["author_id"] = 0
    with pytest.raises(Skip):
        inbound(notice)


def test_our_own_messages_echoed_back_are_ours() -> None:
    factory = Factory()
    item = factory.listing("Шкаф")
    chat = factory.chat_for(BUYER, item)
    echo = message_of(factory.message_event(chat, ACCOUNT, "text", {"text": "Спасибо!"}))
    theirs = message_of(factory.buyer_writes(BUYER, item, "Здравствуйте"))
    assert is_ours(echo, None) and is_ours(echo, ACCOUNT)
    assert not is_ours(theirs, None) and not is_ours(theirs, ACCOUNT)


def test_envelopes_keys_and_the_subscription_check() -> None:
    factory = Factory()
    event = factory.buyer_writes(BUYER, factory.listing("Коляска"), "Торг?")
    assert event_key(event) == f"m:{event['payload']['value']['id']}"
    assert event_key(event) == event_key(json.loads(json.dumps(event)))
    other = {"id": "evt-1", "timestamp": 1, "payload": {"type": "chat_closed", "value": {}}}
    assert event_key(check_event(other)) == "e:evt-1"
    with pytest.raises(Skip):
        message_of(other)
    assert is_probe({}) and not is_probe(event) and not is_probe([])
    for bad in ([], "x", {"payload": None}, {"payload": {}}, {"payload": {"type": ""}}):
        with pytest.raises(BadEvent):
            check_event(bad)
    with pytest.raises(BadEvent):
        check_event({"payload": {"type": "message", "value": [1]}})


def test_odd_events_are_skipped_never_a_crash() -> None:
    shapes: list[Any] = [
        {"payload": {"type": "message"}},
        {"payload": {"type": "message", "value": {"id": 5, "chat_id": "c"}}},
        {"payload": {"type": "message", "value": {"id": "m", "chat_id": True}}},
        {"payload": {"type": "message", "value": {"id": "m", "chat_id": "c", "content": 3}}},
        {"payload": {"type": "message", "value": {"id": "m", "chat_id": "c", "author_id": "9"}}},
        {
            "payload": {
                "type": "message",
                "value": {
                    "id": "m",
                    "chat_id": "c",
                    "author_id": 9,
                    "type": "location",
                    "content": {"location": {"lat": True, "lon": "x"}},
                    "created": 10**30,
                },
            }
        },
    ]
    for shape in shapes:
        event = check_event(shape)
        event_key(event)
        try:
            inbound(event, {"context": {"type": "item", "value": []}, "users": [5, {"id": "x"}]})
        except Skip:
            pass


def test_the_listing_source_keeps_the_link_whole() -> None:
    url = "https://www.avito.ru/moskva/mebel/" + "x" * 100
    source = Listing(1, "Очень длинное название " * 20, url).as_source()
    assert len(source) <= 255 and source.endswith(url) and "…" in source
    assert Listing(1, "", url).as_source() == url
    assert chat_info({"context": {"type": "item", "value": {"title": "T", "url": "ftp://x"}}}, 1)
    assert chat_info({}, 1).listing is None


def test_outbox_payloads_become_plain_text_and_errors_map_to_statuses() -> None:
    assert plain_text({"text": "<b>Спасибо</b>, &laquo;Анна&raquo;!", "parse_mode": "HTML"}) == (
        "Спасибо, «Анна»!"
    )
    links = {"text": "Каталог", "buttons": [[{"text": "Сайт", "url": "https://a.ru"}]]}
    assert plain_text(links) == "Каталог\nСайт: https://a.ru"
    assert len(plain_text({"text": "я" * 1500})) == 1000
    assert plain_text({"photo": "https://img/1.jpg"}) == ""
    cases = [
        (AvitoApiError(429, "slow down", 3.0), SendStatus.RETRY, 3.0),
        (AvitoApiError(429, "slow down"), SendStatus.RETRY, 5.0),
        (AvitoApiError(502, "bad gateway"), SendStatus.RETRY, None),
        (AvitoApiError(404, "chat not found"), SendStatus.FAILED, None),
        (AvitoApiError(401, "refused", credentials=True), SendStatus.FAILED, None),
    ]
    for error, status, retry_after in cases:
        result = result_of_error(error)
        assert (result.status, result.retry_after) == (status, retry_after), error
    refused = result_of_error(AvitoApiError(401, "refused", credentials=True))
    assert refused.error and refused.error.startswith("access token refused")


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"avito_client_id": "id"}, "both AVITO_CLIENT_ID and AVITO_CLIENT_SECRET"),
        ({"avito_client_id": "id", "avito_client_secret": "s"}, "AVITO_WEBHOOK_URL"),
        (
            {
                "avito_client_id": "id",
                "avito_client_secret": "s",
                "avito_webhook_url": "https://crm.example.ru/avito/webhook?secret=short",
            },
            "?secret=",
        ),
    ],
)
def test_avito_settings_that_cannot_work_stop_the_start(
    values: dict[str, str], complaint: str
) -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:", None, **values)
    with pytest.raises(ConfigError, match=complaint.replace("?", r"\?")):
        build(settings, None)  # type: ignore[arg-type]


def test_the_webhook_secret_is_scrubbed_from_logs() -> None:
    url = "https://crm.example.ru/avito/webhook?secret=AbCdEfGh12345678_-x"
    settings = make_settings(
        "sqlite+aiosqlite:///:memory:",
        None,
        avito_client_id="id",
        avito_client_secret="client-secret-value",
        avito_webhook_url=url,
    )
    assert {"AbCdEfGh12345678_-x", "client-secret-value"} <= set(settings.channel_secrets())
    assert build(make_settings("sqlite+aiosqlite:///:memory:", None), None) is None  # type: ignore[arg-type]
