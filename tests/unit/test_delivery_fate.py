"""domain/delivery_fate: a platform's answer read as a reason a sender can act on."""

from __future__ import annotations

import pytest

from domain.delivery_fate import Failure, failure_of


@pytest.mark.parametrize(
    ("status", "error", "final", "expected"),
    [
        (
            "blocked",
            "Telegram server says - Forbidden: bot was blocked by the user",
            True,
            Failure.BLOCKED,
        ),
        ("failed", "recipient blocked the bot", True, Failure.BLOCKED),
        (
            "failed",
            "Telegram server says - Bad Request: message is too long",
            True,
            Failure.TOO_LONG,
        ),
        ("failed", "Telegram server says - Bad Request: chat not found", True, Failure.NOT_STARTED),
        (
            "blocked",
            "Forbidden: bot can't initiate conversation with a user",
            True,
            Failure.BLOCKED,
        ),
        (
            "failed",
            "Forbidden: bot can't initiate conversation with a user",
            True,
            Failure.NOT_STARTED,
        ),
        ("retry", "TelegramNetworkError: timeout", False, Failure.UNAVAILABLE),
        ("retry", "TelegramServerError: Bad Gateway", True, Failure.GAVE_UP),
        (
            "failed",
            "outside WhatsApp's 24-hour window and WHATSAPP_TEMPLATE is not set",
            True,
            Failure.OUTSIDE_WINDOW,
        ),
        ("failed", "Bad Request: can't parse entities", True, Failure.REJECTED),
        ("failed", "access token refused: Avito 401: Unauthorized", True, Failure.CHANNEL_AUTH),
        ("failed", None, True, Failure.REJECTED),
    ],
)
def test_failure_of(status: str, error: str | None, final: bool, expected: Failure) -> None:
    assert failure_of(status, error, final=final) is expected
