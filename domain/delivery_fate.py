"""What became of an outgoing message, in words a sender can act on. Pure: the outbox
worker (usecases/fates.py) asks, the catalogue says it in the reader's language."""

from __future__ import annotations

from enum import StrEnum


class Failure(StrEnum):
    """Why a message did not reach its recipient; each has a text and a hint in texts/."""

    BLOCKED = "blocked"  # the recipient blocked the bot
    TOO_LONG = "too_long"  # over the platform's length limit
    NOT_STARTED = "not_started"  # the chat is unknown: he never pressed /start
    UNAVAILABLE = "unavailable"  # the platform did not answer; retried later
    GAVE_UP = "gave_up"  # retried for a long time without success
    OUTSIDE_WINDOW = "outside_window"  # WhatsApp: only a template reaches him now
    BUSINESS_OFF = "business_off"  # Telegram Business: the account disconnected the bot
    CHANNEL_AUTH = "channel_auth"  # the platform refused the service's own keys
    REJECTED = "rejected"  # any other refusal by the platform


# Purposes of the messages that tell people about fates: their own failures are never
# reported further, so an unreachable head cannot start a loop of notices.
FATE_PURPOSES = frozenset({"fate", "unreachable"})

# Failures whose channel tells the sender itself, with more than a reason can say (the
# WhatsApp sender names the customer's phone): no second notice.
TOLD_BY_CHANNEL = frozenset({Failure.OUTSIDE_WINDOW})


def failure_of(status: str, error: str | None, *, final: bool = True) -> Failure:
    """The reason behind a send status (`blocked`, `failed`, `retry`) and the platform's
    error text. `final`: the row will not be tried again."""
    text = (error or "").lower()
    if "access token refused" in text:
        return Failure.CHANNEL_AUTH
    if status == "blocked" or "blocked" in text:
        return Failure.BLOCKED
    if "business_connection" in text or "business connection" in text:
        return Failure.BUSINESS_OFF
    if "24-hour window" in text:
        return Failure.OUTSIDE_WINDOW
    if "too long" in text or "too_long" in text:
        return Failure.TOO_LONG
    if (
        "chat not found" in text
        or "can't initiate conversation" in text
        or "user not found" in text
        or "chat_id is empty" in text
    ):
        return Failure.NOT_STARTED
    if status == "retry":
        return Failure.GAVE_UP if final else Failure.UNAVAILABLE
    if "forbidden" in text or "deactivated" in text:
        return Failure.BLOCKED
    return Failure.REJECTED
