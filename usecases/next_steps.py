"""A manager's next step on a lead: set with one tap (a preset), typed («15.12 14:30»), set
on the web or through the API, its kind and note changed, marked done. Every action is
checked against who asks (usecases/acting.py) and against the step it names, so a forged
or repeated press changes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.next_steps import Preset, StepKind, StepStatus, clean_note, preset_time
from domain.step_time import FARTHEST, WhenError, WhenProblem, parse_when
from storage.models import Lead, Manager
from storage.step_models import NextStep
from storage.uow import UnitOfWork
from texts import Safe
from usecases import cards, next_step_timers, step_cards
from usecases.acting import acting_on
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.next_step_timers import customer_name
from usecases.staffing import tell_staff

DASHBOARD = "dashboard"
# What a browser's datetime-local field sends: "2026-01-06T10:00".
_LOCAL_INPUT = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2})?$")


@dataclass(frozen=True)
class StepOutcome:
    verdict: Verdict
    # When the step falls, in the reader's words (for the toast); empty unless set.
    when: str = ""
    # A typed time that could not be used, and why (the verdict is then STALE).
    problem: WhenProblem | None = None


def team_zone(ctx: AppContext) -> ZoneInfo:
    return ctx.config.hours().zone


async def _acting(
    uow: UnitOfWork, lead_id: int, telegram_id: int
) -> tuple[Lead, Manager] | Verdict:
    """The lead and who acts on it, when he may work it and it is held (accepted)."""
    acting = await acting_on(uow, lead_id, telegram_id)
    if isinstance(acting, Verdict):
        return acting
    if acting.lead.manager_id is None:
        return Verdict.STALE
    return acting.lead, acting.manager


async def _set(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    at: datetime,
    *,
    kind: StepKind | None,
    note: str | None,
    by: Manager | None,
) -> NextStep:
    """The lead's new open step (an open one before it is replaced: its kind and note
    carry over unless given); its timers planned; its holder (and whoever set it for
    him) shown it with kind buttons. `by` None: the dashboard."""
    now = ctx.clock.now()
    actor = f"manager:{by.id}" if by is not None else DASHBOARD
    previous = await uow.next_steps.open_for_lead(lead.id)
    if previous is not None:
        await uow.next_steps.close_open(lead.id, StepStatus.REPLACED.value, now)
        await uow.flush()
    chosen = kind or (StepKind(previous.kind) if previous else ctx.config.next_steps.default_kind)
    step = await uow.next_steps.add(
        lead_id=lead.id,
        manager_id=lead.manager_id,
        kind=chosen.value,
        note=clean_note(note) or (previous.note if previous else None),
        due_at=at,
        set_by=actor,
        created_at=now,
    )
    await next_step_timers.plan_step(ctx, uow, step)
    uow.events.add(
        lead.id,
        "next_step_set",
        now,
        actor=actor,
        manager_id=by.id if by is not None else None,
        data={"step_id": step.id, "kind": step.kind, "due_at": at.isoformat(), "note": step.note},
    )
    holder = await uow.managers.get(lead.manager_id or 0)
    told = [person for person in (holder, by) if person is not None]
    customer = await customer_name(uow, lead)
    for person in {person.id: person for person in told}.values():
        text, rows = step_cards.confirmation(
            ctx.texts,
            person.language,
            lead_id=lead.id,
            customer=customer,
            step=step,
            now=now,
            zone=team_zone(ctx),
        )
        await tell_staff(
            ctx, uow, person, cards.payload(text, rows), purpose="notice", lead_id=lead.id
        )
    return step


async def set_at(
    ctx: AppContext,
    lead_id: int,
    telegram_id: int,
    at: datetime,
    *,
    kind: StepKind | None = None,
    note: str | None = None,
) -> StepOutcome:
    """Set the lead's next step at `at` (in the future), as this staff member."""
    async with ctx.db.uow() as uow:
        found = await _acting(uow, lead_id, telegram_id)
        if isinstance(found, Verdict):
            return StepOutcome(found)
        lead, manager = found
        now = ctx.clock.now()
        if at <= now:
            return StepOutcome(Verdict.STALE, problem=WhenProblem.PAST)
        if at - now > FARTHEST:
            return StepOutcome(Verdict.STALE, problem=WhenProblem.TOO_FAR)
        await _set(ctx, uow, lead, at, kind=kind, note=note, by=manager)
        await uow.commit()
        when = step_cards.moment_text(ctx.texts, manager.language, at, now, team_zone(ctx))
    ctx.wake("outbox")
    return StepOutcome(Verdict.DONE, when)


async def set_preset(ctx: AppContext, lead_id: int, telegram_id: int, preset: str) -> StepOutcome:
    try:
        chosen = Preset(preset)
    except ValueError:
        return StepOutcome(Verdict.STALE)
    at = preset_time(chosen, ctx.clock.now(), team_zone(ctx))
    return await set_at(ctx, lead_id, telegram_id, at)


async def set_typed(
    ctx: AppContext,
    lead_id: int,
    telegram_id: int,
    text: str,
    kind: StepKind | None = None,
    note: str | None = None,
) -> StepOutcome:
    """A time as the manager typed it, the words after it the note."""
    try:
        typed = parse_when(text, ctx.clock.now(), team_zone(ctx))
    except WhenError as error:
        return StepOutcome(Verdict.STALE, problem=error.problem)
    return await set_at(ctx, lead_id, telegram_id, typed.at, kind=kind, note=note or typed.note)


async def may_set(ctx: AppContext, lead_id: int, telegram_id: int) -> Verdict:
    """May he set this lead's next step (before the typed-time dialog starts)?"""
    async with ctx.db.uow() as uow:
        found = await _acting(uow, lead_id, telegram_id)
    return found if isinstance(found, Verdict) else Verdict.DONE


async def _open_step(uow: UnitOfWork, lead: Lead, step_id: int) -> NextStep | None:
    """The step a button names, if it is still this lead's open step."""
    step = await uow.next_steps.get(step_id)
    if step is None or step.lead_id != lead.id or step.status != StepStatus.OPEN:
        return None
    return step


async def mark_done(ctx: AppContext, lead_id: int, telegram_id: int, step_id: int) -> Verdict:
    """Done: its timers end, the gap's clock starts, and the next step is asked for."""
    async with ctx.db.uow() as uow:
        found = await _acting(uow, lead_id, telegram_id)
        if isinstance(found, Verdict):
            return found
        lead, manager = found
        step = await _open_step(uow, lead, step_id)
        if step is None:
            return Verdict.STALE
        await _done(ctx, uow, lead, step, actor=f"manager:{manager.id}", actor_id=manager.id)
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


async def _done(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    step: NextStep,
    *,
    actor: str,
    actor_id: int | None,
) -> None:
    now = ctx.clock.now()
    step.status = StepStatus.DONE.value
    step.closed_at = now
    await uow.flush()
    await next_step_timers.start_gap(ctx, uow, lead)
    uow.events.add(
        lead.id, "next_step_done", now, actor=actor, manager_id=actor_id, data={"step_id": step.id}
    )
    holder = await uow.managers.get(lead.manager_id or 0)
    if holder is not None:
        payload = step_cards.asking(ctx.texts, holder.language, "step_ask_after_done", lead.id)
        await tell_staff(ctx, uow, holder, payload, purpose="notice", lead_id=lead.id)


async def change_kind(
    ctx: AppContext, lead_id: int, telegram_id: int, argument: str
) -> tuple[Verdict, tuple[Safe, step_cards.Rows] | None]:
    """The kind of the open step (argument "<step id>.<kind>"); the confirmation as it
    reads now, to edit in place."""
    raw_id, _, raw_kind = argument.partition(".")
    if not raw_id.isdigit() or raw_kind not in {kind.value for kind in StepKind}:
        return Verdict.STALE, None
    async with ctx.db.uow() as uow:
        found = await _acting(uow, lead_id, telegram_id)
        if isinstance(found, Verdict):
            return found, None
        lead, manager = found
        step = await _open_step(uow, lead, int(raw_id))
        if step is None:
            return Verdict.STALE, None
        now = ctx.clock.now()
        if step.kind != raw_kind:
            uow.events.add(
                lead.id,
                "next_step_changed",
                now,
                actor=f"manager:{manager.id}",
                manager_id=manager.id,
                data={"step_id": step.id, "kind": raw_kind},
            )
            step.kind = raw_kind
        view = step_cards.confirmation(
            ctx.texts,
            manager.language,
            lead_id=lead.id,
            customer=await customer_name(uow, lead),
            step=step,
            now=now,
            zone=team_zone(ctx),
        )
        await uow.commit()
    return Verdict.DONE, view


async def may_note(ctx: AppContext, lead_id: int, telegram_id: int, step_id: int) -> Verdict:
    async with ctx.db.uow() as uow:
        found = await _acting(uow, lead_id, telegram_id)
        if isinstance(found, Verdict):
            return found
        step = await _open_step(uow, found[0], step_id)
    return Verdict.DONE if step is not None else Verdict.STALE


async def set_note(
    ctx: AppContext, lead_id: int, telegram_id: int, step_id: int, text: str
) -> Verdict:
    note = clean_note(text)
    async with ctx.db.uow() as uow:
        found = await _acting(uow, lead_id, telegram_id)
        if isinstance(found, Verdict):
            return found
        lead, manager = found
        step = await _open_step(uow, lead, step_id)
        if step is None or note is None:
            return Verdict.STALE
        step.note = note
        uow.events.add(
            lead.id,
            "next_step_changed",
            ctx.clock.now(),
            actor=f"manager:{manager.id}",
            manager_id=manager.id,
            data={"step_id": step.id, "note": note},
        )
        await uow.commit()
    return Verdict.DONE


async def set_from_dashboard(
    ctx: AppContext, lead_id: int, text: str, kind: StepKind | None, note: str | None
) -> StepOutcome:
    """The dashboard sets the step of a held, open lead (`text`: a typed time, or an
    HTML datetime-local value, in the team's time zone)."""
    now = ctx.clock.now()
    try:
        local = _LOCAL_INPUT.match(text.strip())
        typed = parse_when(" ".join(local.groups()) if local else text, now, team_zone(ctx))
    except WhenError as error:
        return StepOutcome(Verdict.STALE, problem=error.problem)
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get_for_update(lead_id)
        if lead is None or not lead.is_open or lead.manager_id is None:
            return StepOutcome(Verdict.STALE)
        await _set(ctx, uow, lead, typed.at, kind=kind, note=note or typed.note, by=None)
        await uow.commit()
    ctx.wake("outbox")
    return StepOutcome(Verdict.DONE)


async def done_from_dashboard(ctx: AppContext, lead_id: int) -> Verdict:
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get_for_update(lead_id)
        if lead is None or not lead.is_open:
            return Verdict.STALE
        step = await uow.next_steps.open_for_lead(lead.id)
        if step is None:
            return Verdict.STALE
        await _done(ctx, uow, lead, step, actor=DASHBOARD, actor_id=None)
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


async def done_open(ctx: AppContext, lead_id: int, telegram_id: int) -> Verdict:
    """The lead's open step done, whichever it is (the API names the lead, not the step)."""
    async with ctx.db.uow() as uow:
        found = await _acting(uow, lead_id, telegram_id)
        if isinstance(found, Verdict):
            return found
        step = await uow.next_steps.open_for_lead(lead_id)
    if step is None:
        return Verdict.STALE
    return await mark_done(ctx, lead_id, telegram_id, step.id)
