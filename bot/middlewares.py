"""What every Telegram update passes before the routers. Updates reach the dispatcher only
from the inbox worker (workers/inbox.py), after they were stored raw."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from usecases.context import AppContext
from usecases.team import staff_seen

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


class StaffSeen(BaseMiddleware):
    """Anyone writing to the bot has a working chat: a staff member once refused by
    Telegram (never pressed /start, blocked the bot) is reachable again."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        inner = event.message or event.callback_query or event.my_chat_member
        user = getattr(inner, "from_user", None)
        blocked_now = (
            event.my_chat_member is not None
            and event.my_chat_member.new_chat_member.status == "kicked"
        )
        ctx: AppContext | None = data.get("ctx")
        if user is not None and ctx is not None and not blocked_now:
            await staff_seen(ctx, user.id)
        return await handler(event, data)
