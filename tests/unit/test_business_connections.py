"""domain/business: what a Telegram Business connection's new state means, the rights
read from either API shape, and the addresses that keep accounts' chats apart."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.business import (
    Change,
    Connection,
    can_reply_of,
    change,
    chat_address,
    message_key,
    parse_address,
)
from domain.delivery_fate import Failure, failure_of

ON = Connection("BC-1", 301, "Ivan", "ivan_sales", 301, enabled=True, can_reply=True)
OFF = replace(ON, enabled=False)
MUTE = replace(ON, can_reply=False)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, ON, Change.CONNECTED),
        (None, MUTE, Change.CONNECTED),  # connected, told, and told it cannot answer
        (None, OFF, Change.NONE),
        (ON, ON, Change.NONE),  # a redelivery
        (ON, replace(ON, owner_name="Ivan P."), Change.NONE),
        (ON, OFF, Change.LOST),
        (ON, MUTE, Change.LOST),
        (OFF, OFF, Change.NONE),
        (OFF, MUTE, Change.NONE),  # still of no use to replies
        (OFF, ON, Change.BACK),
        (MUTE, ON, Change.BACK),
        (OFF, replace(ON, id="BC-2"), Change.BACK),  # reconnected with a new id
    ],
)
def test_change(before: Connection | None, after: Connection, expected: Change) -> None:
    assert change(before, after) is expected


@pytest.mark.parametrize(
    ("rights", "legacy", "expected"),
    [
        ({"can_reply": True, "can_read_messages": True}, None, True),
        ({"can_read_messages": True}, None, False),  # a right left out is not granted
        ({}, True, False),  # Bot API 9 rights win over the deprecated flag
        (None, False, False),
        (None, True, True),
        (None, None, True),
    ],
)
def test_can_reply_of(rights: dict[str, bool] | None, legacy: bool | None, expected: bool) -> None:
    assert can_reply_of(rights, legacy) is expected


def test_addresses_keep_accounts_and_chats_apart() -> None:
    assert chat_address(301, 7001) != chat_address(302, 7001)
    assert parse_address(chat_address(301, 7001)) == (301, 7001)
    assert parse_address("7001") is None
    assert parse_address("x:y") is None
    assert message_key(301, 7001, 5) != message_key(302, 7001, 5)


def test_labels_name_the_account() -> None:
    assert ON.label == "Ivan (@ivan_sales)"
    assert replace(ON, owner_username=None).label == "Ivan (id 301)"


@pytest.mark.parametrize(
    "error",
    [
        "Telegram server says - Bad Request: BUSINESS_CONNECTION_INVALID",
        "Telegram server says - Bad Request: BUSINESS_CONNECTION_NOT_ALLOWED",
        "no business connection with account 301: it never connected the bot",
    ],
)
def test_a_refused_business_send_reads_as_the_account_being_off(error: str) -> None:
    assert failure_of("failed", error) is Failure.BUSINESS_OFF
