"""Answering a button press is best-effort: Telegram accepts an answer only within a short
time of the press, and an update processed later (from the inbox, after an outage or a
retry) gets "query is too old … or query ID is invalid". The press is acted upon anyway;
only the little toast on the manager's screen is lost, and that must not fail the update."""

from __future__ import annotations

import logging
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery

log = logging.getLogger(__name__)
_EXPIRED = ("query is too old", "query id is invalid")


def is_expired_query(error: TelegramBadRequest) -> bool:
    message = str(error.message).lower()
    return any(part in message for part in _EXPIRED)


async def answer_callback(callback: CallbackQuery, text: str | None = None, **kwargs: Any) -> None:
    try:
        await callback.answer(text, **kwargs)
    except TelegramBadRequest as exc:
        if not is_expired_query(exc):
            raise
        log.info("callback %s can no longer be answered (too old); acted upon", callback.id)
