"""At-least-once handling of Telegram updates.

aiogram confirms a polled update (the next getUpdates offset) once its handler returns,
and it swallows handler exceptions, so an update whose capture failed would be confirmed
and lost. Here a failure caused by the database being away is retried until it works
(polling waits) or, for a webhook, raised so that the endpoint answers 503 and Telegram
redelivers. Any other failure keeps the raw update as a dead letter, so nothing is lost
and one bad update cannot stall the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from storage.db import is_transient
from usecases.capture import keep_dead_letter
from usecases.context import AppContext

log = logging.getLogger(__name__)
MAX_WAIT = 30.0

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ReliableUpdates(BaseMiddleware):
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        try:
            kind = event.event_type
        except UpdateTypeLookupError:
            log.info("update %s: unknown kind, skipped", event.update_id)
            return None
        webhook = bool(data.get("webhook"))
        delay = 0.5
        while True:
            try:
                return await handler(event, data)
            except Exception as exc:
                if not is_transient(exc):
                    await self._dead_letter(event, kind, exc, webhook)
                    return None
                if webhook:
                    raise
                log.warning(
                    "update %s (%s): database unavailable (%s); retrying in %.1fs",
                    event.update_id,
                    kind,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_WAIT)

    async def _dead_letter(self, event: Update, kind: str, exc: Exception, webhook: bool) -> None:
        log.exception(
            "update %s (%s) failed; kept as a dead letter", event.update_id, kind, exc_info=exc
        )
        payload = event.model_dump_json(exclude_unset=True)
        error = f"{type(exc).__name__}: {exc}"
        delay = 0.5
        while True:
            try:
                await keep_dead_letter(self._ctx, "telegram", payload, error)
                return
            except Exception as store_error:
                if webhook or not is_transient(store_error):
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_WAIT)
