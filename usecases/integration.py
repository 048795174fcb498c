"""What the JSON API adds for other systems: the team as a list, and staff actions taken
on behalf of a named staff member through the very use cases Telegram calls (usecases.work,
usecases.assignment), with the same checks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.next_steps import StepKind
from domain.pipeline import CLOSED_STATUSES, LeadStatus
from domain.step_time import WhenProblem
from usecases import amounts, gates, next_steps, reassign, work
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.gates import StageMove
from usecases.queries import lead_details


class Refusal(StrEnum):
    NO_LEAD = "no_lead"
    NO_STAFF = "no_staff"


async def list_managers(ctx: AppContext) -> list[dict[str, Any]]:
    async with ctx.db.uow() as uow:
        managers = await uow.reports.managers_by_id()
    return [
        {
            "id": manager.id,
            "name": manager.name,
            "role": manager.role,
            "level": manager.level,
            "capacity": manager.capacity,
            "active": manager.active,
            "paused": manager.paused_at is not None,
            "timezone": manager.timezone,
            "language": manager.language,
        }
        for manager in managers.values()
    ]


async def _acting(ctx: AppContext, lead_id: int, manager_id: int) -> int | Refusal:
    """The acting staff member's Telegram id (what the use cases know him by)."""
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get(lead_id)
        manager = await uow.managers.get(manager_id)
    if lead is None:
        return Refusal.NO_LEAD
    if manager is None or not manager.active:
        return Refusal.NO_STAFF
    return manager.telegram_id


async def act(
    ctx: AppContext, lead_id: int, manager_id: int, action: str, **values: Any
) -> Verdict | Refusal | StageMove:
    """reply (text), stage (stage, reason, comment, amount, override), owner (target_id),
    comment (text), amount (amount: minor units or None). A stage move its gate refuses
    comes back as the StageMove naming what is missing."""
    acting = await _acting(ctx, lead_id, manager_id)
    if isinstance(acting, Refusal):
        return acting
    if action == "reply":
        return await work.reply(ctx, lead_id, acting, values["text"])
    if action == "comment":
        return await work.comment(ctx, lead_id, acting, values["text"])
    if action == "owner":
        return await reassign.head_assign(ctx, lead_id, acting, values["target_id"])
    if action == "amount":
        return await amounts.set_amount(ctx, lead_id, acting, values["amount"])
    stage = values["stage"]
    if stage in {status.value for status in CLOSED_STATUSES}:
        reason, comment = values.get("reason"), values.get("comment")
        return await work.close(
            ctx, lead_id, acting, stage, reason, comment, amount=values.get("amount")
        )
    if stage == LeadStatus.NEW:
        return Verdict.STALE
    move = await work.move_stage_checked(
        ctx, lead_id, acting, stage, override=bool(values.get("override"))
    )
    return move if move.verdict is Verdict.GATE else move.verdict


async def checklist(
    ctx: AppContext, lead_id: int, manager_id: int, answers: dict[str, str]
) -> Verdict | Refusal:
    """Answers to the lead's checklist questions (key → text), as the card's buttons."""
    acting = await _acting(ctx, lead_id, manager_id)
    if isinstance(acting, Refusal):
        return acting
    return (await gates.answer(ctx, lead_id, acting, answers)).verdict


async def lead_after(ctx: AppContext, lead_id: int) -> dict[str, Any] | None:
    return await lead_details(ctx, lead_id)


async def next_step(
    ctx: AppContext,
    lead_id: int,
    manager_id: int,
    *,
    at: str | None = None,
    when: str | None = None,
    kind: StepKind | None = None,
    note: str | None = None,
    done: bool = False,
) -> Verdict | Refusal | WhenProblem:
    """Set the lead's next step at `at` (ISO 8601; without an offset in the team's time
    zone) or `when` (typed, «завтра 10:00»), or mark the open one done."""
    acting = await _acting(ctx, lead_id, manager_id)
    if isinstance(acting, Refusal):
        return acting
    if done:
        return await next_steps.done_open(ctx, lead_id, acting)
    if when is not None:
        outcome = await next_steps.set_typed(ctx, lead_id, acting, when, kind, note)
        if outcome.problem is not None and outcome.verdict is not Verdict.DONE:
            return outcome.problem
        return outcome.verdict
    try:
        moment = datetime.fromisoformat(at or "")
    except ValueError:
        return WhenProblem.UNREADABLE
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=next_steps.team_zone(ctx))
    outcome = await next_steps.set_at(ctx, lead_id, acting, moment, kind=kind, note=note)
    return outcome.problem if outcome.problem is not None else outcome.verdict
