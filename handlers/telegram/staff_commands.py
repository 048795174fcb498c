"""The commands staff routers answer, read from the routers themselves, so the customer
router's "for staff only" list cannot drift from what is registered."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command

from handlers.telegram import head, reports, staff


def registered_commands(*routers: Router) -> tuple[str, ...]:
    """Every plain command name a `Command` filter of these routers' message handlers
    matches, in registration order, without repeats (regex commands are left out)."""
    names: dict[str, None] = {}
    for router in routers:
        for handler in router.message.handlers:
            for filter_object in handler.filters or ():
                command = filter_object.callback
                if isinstance(command, Command):
                    names.update((name, None) for name in command.commands if isinstance(name, str))
    return tuple(names)


STAFF_COMMANDS = registered_commands(staff.router, head.router, reports.router)
