"""What becomes of an inbound payload whose processing failed: retried later, with an
exponential backoff and a cap on attempts, or kept failed at once (dead letter) when a
retry cannot succeed: the platform refused the request (400/403) or the payload does not
validate. The row keeps its last error either way."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_ATTEMPTS = 5
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(hours=1)
ERROR_LENGTH = 2000

# ValueError covers pydantic's ValidationError, JSONDecodeError and UnicodeError.
PERMANENT: tuple[type[BaseException], ...] = (ValueError,)
# The Bot API's refusals (400, 403, 404), by name: importing aiogram costs seconds of CPU
# (it builds every model of the Bot API), and the CLI's `inbox failed` / `inbox retry`
# have no use for it. A process that never imported aiogram cannot hold its exceptions.
TELEGRAM_REFUSALS = ("TelegramBadRequest", "TelegramForbiddenError", "TelegramNotFound")


@dataclass(frozen=True)
class Outcome:
    status: str  # "pending" (retry at next_attempt_at) or "failed" (kept, not retried)
    next_attempt_at: datetime | None
    error: str


def is_permanent(error: BaseException) -> bool:
    if isinstance(error, PERMANENT):
        return True
    telegram = sys.modules.get("aiogram.exceptions")
    refusals = tuple(getattr(telegram, name) for name in TELEGRAM_REFUSALS) if telegram else ()
    return isinstance(error, refusals)


def backoff(attempts: int) -> timedelta:
    """Delay before attempt `attempts + 1`: 5 s, 10 s, 20 s, … at most an hour."""
    delay = FIRST_DELAY * (2 ** max(0, min(attempts - 1, 20)))
    return min(delay, MAX_DELAY)


def after_failure(error: BaseException, attempts: int, now: datetime) -> Outcome:
    text = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    if is_permanent(error) or attempts >= MAX_ATTEMPTS:
        return Outcome("failed", None, text)
    return Outcome("pending", now + backoff(attempts), text)
