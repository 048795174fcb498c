"""The aiogram side assembled in one place: routers in order and middlewares."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage

from bot.middlewares import KnownUpdates, StaffSeen
from handlers.telegram import (
    business,
    customer,
    head,
    next_steps,
    onboarding,
    quality,
    reports,
    staff,
    staff_gates,
    staff_money,
    staff_replies,
    terms,
)
from handlers.telegram.commands import commands_of
from usecases.context import AppContext


def create_dispatcher(ctx: AppContext, storage: BaseStorage | None = None) -> Dispatcher:
    dispatcher = Dispatcher(storage=storage) if storage is not None else Dispatcher()
    dispatcher["ctx"] = ctx
    dispatcher.update.outer_middleware(KnownUpdates())
    dispatcher.update.outer_middleware(StaffSeen())
    # Order is behaviour: staff routers come before the customer catch-all.
    routers = (
        # Business updates are kinds of their own: no other router sees them.
        business.router,
        staff.invites,
        onboarding.router,
        head.router,
        reports.router,
        next_steps.router,
        terms.router,
        quality.router,
        staff_replies.router,
        staff_money.router,
        staff_gates.router,
        staff.router,
        customer.router,
    )
    for router in routers:
        # The routers are module-level; a second dispatcher in one process (tests, the
        # benchmarks) takes them over. Their handlers keep no per-dispatcher state.
        router._parent_router = None
    dispatcher.include_routers(*routers)
    # Each role's command menu, read from the routers its people reach
    # (channels/telegram/menus.py sets them per chat).
    dispatcher["staff_menus"] = {
        "manager": commands_of(reports.router, staff_gates.router, staff.router),
        "head": commands_of(head.router, reports.router, staff_gates.router, staff.router),
    }
    return dispatcher
