"""Who is writing: staff routers see only staff; the role is handed to the handler."""

from __future__ import annotations

from typing import Any

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from usecases.context import AppContext
from usecases.team import role_of


class StaffFilter(BaseFilter):
    def __init__(self, *roles: str) -> None:
        self.roles = roles or ("head", "manager")

    async def __call__(
        self, event: Message | CallbackQuery, ctx: AppContext
    ) -> bool | dict[str, Any]:
        user = event.from_user
        if user is None:
            return False
        if isinstance(event, Message) and event.chat.type != "private":
            return False
        role = await role_of(ctx, user.id)
        if role not in self.roles:
            return False
        return {"role": role}
