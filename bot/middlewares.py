"""What every Telegram update passes before the routers. Updates reach the dispatcher only
from the inbox worker (workers/inbox.py), after they were stored raw."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class KnownUpdates(BaseMiddleware):
    """An update of a kind this aiogram does not know is skipped with a log line."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        try:
            event.event_type  # noqa: B018 - raises for kinds this aiogram does not know
        except UpdateTypeLookupError:
            log.info("update %s: unknown kind, skipped", event.update_id)
            return None
        return await handler(event, data)
