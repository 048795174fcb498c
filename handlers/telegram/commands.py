"""The commands the staff routers answer, read from the routers themselves, so that the
customer's "for staff only" answer can never drift from what staff can type."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart


def commands_of(*routers: Router) -> tuple[str, ...]:
    found: list[str] = []
    for router in routers:
        for handler in router.message.handlers:
            for filter_object in handler.filters or ():
                command = filter_object.callback
                # /start belongs to everybody (staff's invite links are /start payloads).
                if isinstance(command, Command) and not isinstance(command, CommandStart):
                    found.extend(c for c in command.commands if isinstance(c, str))
    return tuple(dict.fromkeys(found))
