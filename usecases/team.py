"""The team: reconciled from the config, invited by link, paused, (de)activated."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from config.business import Person
from domain import lead_transitions as transitions
from domain.hours import week_to_json
from storage.models import Manager
from storage.uow import UnitOfWork
from usecases.assignment import distribute_waiting
from usecases.context import AppContext
from usecases.staffing import ROLE_HEAD, hours_of, tell_heads

log = logging.getLogger(__name__)


async def reconcile_team(ctx: AppContext) -> None:
    """Make the managers table match the config; people added by invite are kept."""
    company = ctx.config.company
    declared: dict[int, tuple[str, Person]] = {}
    for person in ctx.config.team.heads:
        declared[person.telegram_id] = ("head", person)
    for person in ctx.config.team.managers:
        declared[person.telegram_id] = ("manager", person)
    async with ctx.db.uow() as uow:
        # Processes starting together take turns, or both would insert the same people.
        await uow.lock("reconcile_team", wait=True)
        now = ctx.clock.now()
        existing = {
            manager.telegram_id: manager for manager in await uow.managers.all(include_retired=True)
        }
        for telegram_id, (role, person) in declared.items():
            values = {
                "name": person.name,
                "role": role,
                "level": person.level.value,
                "capacity": person.capacity,
                "timezone": person.timezone or company.timezone,
                "working_hours": week_to_json(
                    person.working_hours
                    if person.working_hours is not None
                    else company.working_hours
                ),
                "active": person.active,
                "language": person.language,
                "from_config": True,
                "retired_at": None,
            }
            manager = existing.get(telegram_id)
            if manager is None:
                await uow.managers.add(now, telegram_id=telegram_id, **values)
            else:
                for key, value in values.items():
                    setattr(manager, key, value)
                manager.updated_at = now
        released = 0
        for telegram_id, manager in existing.items():
            if manager.from_config and telegram_id not in declared and manager.retired_at is None:
                released += await _retire(uow, manager, now)
        await uow.commit()
    _team_changed(ctx)
    if released:
        await distribute_waiting(ctx)


async def _retire(uow: UnitOfWork, manager: Manager, now: datetime) -> int:
    """Removed from the config: kept for the history, his open leads go back to the
    distribution. Returns how many leads he let go."""
    manager.active = False
    manager.retired_at = now
    manager.updated_at = now
    # An offer still pending with him runs out by itself and passes on.
    leads = await uow.leads.for_manager(manager.id)
    for lead in leads:
        await uow.offers.close_pending(lead.id, "withdrawn", now, "retired")
        transitions.apply(lead, transitions.released(now))
        uow.events.add(lead.id, "handed_over", now, data={"from": manager.id, "why": "retired"})
    log.info(
        "%s left the config: retired, %d open lead(s) handed out again", manager.name, len(leads)
    )
    return len(leads)


async def log_never_started(ctx: AppContext) -> list[str]:
    """Name in the log the staff the bot cannot write to yet (no /start); their names."""
    async with ctx.db.uow() as uow:
        people = await uow.managers.never_started()
    names = [f"{person.name} (id {person.telegram_id})" for person in people]
    if names:
        log.warning(
            "staff who have not pressed /start in the bot yet (it cannot write to them): %s",
            ", ".join(names),
        )
    return names


async def mark_started(ctx: AppContext, telegram_id: int) -> Manager | None:
    """A staff member pressed /start: the bot can write to him from now on."""
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None or manager.retired_at is not None:
            return None
        if manager.started_at is None:
            manager.started_at = ctx.clock.now()
            await uow.commit()
        return manager


ROLES_FRESH_FOR = 5.0


async def role_of(ctx: AppContext, telegram_id: int) -> str | None:
    """ "head", "manager", or None for a customer (or a deactivated member).

    Asked for every update, so the team is read at most every few seconds; changes made
    in this process clear the cache at once, other processes' within that time.
    """
    return (await _staff_cache(ctx))[0].get(telegram_id)


async def _staff_cache(ctx: AppContext) -> tuple[dict[int, str], frozenset[int]]:
    """The active staff's roles and who of them Telegram refused, read together."""
    cached = ctx.caches.get("roles")
    if cached is None or cached[0] < time.monotonic():
        async with ctx.db.uow() as uow:
            members = [m for m in await uow.managers.all() if m.active]
        roles = {m.telegram_id: m.role for m in members}
        unreachable = frozenset(m.telegram_id for m in members if m.unreachable_since)
        cached = ctx.caches["roles"] = (time.monotonic() + ROLES_FRESH_FOR, (roles, unreachable))
    return cached[1]


async def staff_seen(ctx: AppContext, telegram_id: int) -> bool:
    """He wrote to the bot: his chat works, whatever a failed send said before. Writes
    only when he was marked unreachable (asked for every update). True when cleared."""
    if telegram_id not in (await _staff_cache(ctx))[1]:
        return False
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None or manager.unreachable_since is None:
            return False
        manager.unreachable_since = None
        manager.unreachable_reason = None
        manager.updated_at = ctx.clock.now()
        await uow.commit()
    _team_changed(ctx)
    return True


def _team_changed(ctx: AppContext) -> None:
    ctx.caches.pop("roles", None)
    # The command menus follow the team (channels/telegram/plugin.py listens).
    ctx.wake("menus")


async def create_invite(ctx: AppContext, head_telegram_id: int, level: str) -> str | None:
    async with ctx.db.uow() as uow:
        head = await uow.managers.by_telegram_id(head_telegram_id)
        if head is None or head.role != ROLE_HEAD:
            return None
        now = ctx.clock.now()
        token = secrets.token_urlsafe(12)
        uow.invites.add(
            token=token,
            created_by_id=head.id,
            level=level,
            created_at=now,
            expires_at=now + ctx.config.distribution.invite_ttl,
        )
        await uow.commit()
    return token


async def accept_invite(
    ctx: AppContext, token: str, telegram_id: int, name: str, language: str
) -> bool:
    company = ctx.config.company
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        invite = await uow.invites.claim(token, telegram_id, now)
        if invite is None:
            return False
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None:
            await uow.managers.add(
                now,
                telegram_id=telegram_id,
                name=name or str(telegram_id),
                role="manager",
                level=invite.level,
                capacity=20,
                timezone=company.timezone,
                working_hours=week_to_json(company.working_hours),
                active=True,
                language=language,
                from_config=False,
            )
        else:
            manager.active = True
            manager.updated_at = now
        joined = name or str(telegram_id)

        def told(language: str) -> dict[str, object]:
            level = ctx.texts.get(f"level_{invite.level}", language)
            text = ctx.texts.get(
                "invite_joined", language, name=joined, level=level, telegram_id=telegram_id
            )
            return {"text": text, "parse_mode": "HTML"}

        await tell_heads(ctx, uow, told, purpose="notice", dedupe_key=f"joined:{token}")
        await uow.commit()
    _team_changed(ctx)
    ctx.wake("outbox")
    await distribute_waiting(ctx)
    return True


async def set_paused(ctx: AppContext, telegram_id: int, paused: bool) -> bool:
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None:
            return False
        manager.paused_at = ctx.clock.now() if paused else None
        await uow.commit()
    if not paused:
        await distribute_waiting(ctx)
    return True


async def set_active(
    ctx: AppContext, head_telegram_id: int, target_telegram_id: int, active: bool
) -> str | None:
    """Returns the member's name, or None when the head or the member is unknown."""
    async with ctx.db.uow() as uow:
        head = await uow.managers.by_telegram_id(head_telegram_id)
        target = await uow.managers.by_telegram_id(target_telegram_id)
        if head is None or head.role != ROLE_HEAD or target is None:
            return None
        target.active = active
        target.updated_at = ctx.clock.now()
        name = target.name
        await uow.commit()
    _team_changed(ctx)
    if active:
        await distribute_waiting(ctx)
    return name


@dataclass(frozen=True)
class MenuTarget:
    """Whose chat gets which command menu: his role's, in his language (None: none)."""

    telegram_id: int
    role: str | None
    language: str


async def menu_targets(ctx: AppContext) -> list[MenuTarget]:
    """Every member: active ones get their role's menu, deactivated ones lose theirs.
    Those Telegram refused are skipped (the menu would be refused too) until they write."""
    async with ctx.db.uow() as uow:
        members = await uow.managers.all()
    return [
        MenuTarget(m.telegram_id, m.role if m.active else None, m.language)
        for m in members
        if m.unreachable_since is None
    ]


@dataclass(frozen=True)
class MemberState:
    telegram_id: int
    name: str
    role: str
    level: str
    load: int
    capacity: int
    state: str  # on_shift, off_shift, paused, inactive
    unreachable: str | None = None  # not_started, blocked: Telegram refused his chat


async def team_overview(ctx: AppContext) -> list[MemberState]:
    async with ctx.db.uow() as uow:
        managers = await uow.managers.all()
        counts = await uow.managers.open_lead_counts()
    now: datetime = ctx.clock.now()
    members = []
    for manager in managers:
        if not manager.active:
            state = "inactive"
        elif manager.paused_at is not None:
            state = "paused"
        else:
            state = (
                "on_shift"
                if hours_of(manager, ctx.config.work_calendar()).is_open(now)
                else "off_shift"
            )
        members.append(
            MemberState(
                manager.telegram_id,
                manager.name,
                manager.role,
                manager.level,
                counts.get(manager.id, 0),
                manager.capacity,
                state,
                manager.unreachable_reason if manager.unreachable_since else None,
            )
        )
    return members
