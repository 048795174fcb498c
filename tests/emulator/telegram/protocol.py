"""What the emulator shares with api.telegram.org: limits, error texts and answers, and how
request parameters are read (chat ids, numbers, flags)."""

from __future__ import annotations

import copy
import re
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

# Telegram leaves these out unless they are asked for explicitly in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiError(Exception):
    """An error answer in Telegram's shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _normalise_chat(value: Any) -> int | str:
    if isinstance(value, bool):
        raise _bad("chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"-?\d+", stripped):
            return int(stripped)
        if stripped.startswith("@") and len(stripped) > 1:
            return stripped.lower()
    raise _bad("chat not found")


def _as_int(params: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad(f'parameter "{key}" must be a Number')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f'parameter "{key}" must be a Number') from None


def _as_float(params: dict[str, Any], key: str) -> float:
    try:
        return float(params[key])
    except KeyError:
        raise _bad(f"{key} is empty") from None
    except (TypeError, ValueError):
        raise _bad(f'parameter "{key}" must be a Number') from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _clone(value: Any) -> Any:
    return copy.deepcopy(value)


def _update_type(update: dict[str, Any]) -> str | None:
    return next((key for key in update if key != "update_id"), None)
