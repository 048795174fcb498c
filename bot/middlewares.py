"""At-least-once handling of Telegram updates, through the durable inbox.

aiogram confirms a polled update (the next getUpdates offset) once its handler returns
and swallows handler exceptions, so an update whose processing failed would be confirmed
and lost. So a polled update is only stored here, raw, and confirmed after that commit
(while the database is away, polling waits and retries). The inbox worker then feeds
the stored update back through the dispatcher with `from_inbox=True`, and this time the
handlers run. The webhook endpoint stores updates itself the same way.
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
from usecases.context import AppContext
from usecases.inbox import store_inbound

log = logging.getLogger(__name__)
MAX_WAIT = 30.0
CHANNEL = "telegram"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def update_payload(update: Update) -> str:
    return update.model_dump_json(exclude_unset=True, exclude_none=True)


class ReliableUpdates(BaseMiddleware):
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if not data.get("from_inbox"):
            await self._store(event)
            return None
        try:
            event.event_type  # noqa: B018 - raises for kinds this aiogram does not know
        except UpdateTypeLookupError:
            log.info("update %s: unknown kind, skipped", event.update_id)
            return None
        return await handler(event, data)

    async def _store(self, event: Update) -> None:
        payload = update_payload(event)
        delay = 0.5
        while True:
            try:
                await store_inbound(self._ctx, CHANNEL, str(event.update_id), payload)
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning(
                    "update %s: database unavailable (%s); polling waits %.1fs",
                    event.update_id,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_WAIT)
