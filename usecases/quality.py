"""Grading the weekly sample: a head's 1–5 on a sampled conversation (a Telegram button or
the dashboard's form), then his optional comment; and the dashboard's list of what waits
for a grade. The first grade stands: a repeated or raced press changes nothing, and
only a head (or the administrator on the dashboard) grades."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.lead_access import ROLE_HEAD
from domain.quality import COMMENT_LIMIT, valid_grade
from domain.web_access import Viewer
from storage.uow import UnitOfWork
from usecases.context import AppContext
from usecases.next_step_timers import customer_name

ADMINISTRATOR = "dashboard"
PENDING_SHOWN = 50
MESSAGES_SHOWN = 30


class Graded(StrEnum):
    SAVED = "saved"
    ALREADY = "already"  # graded before: the first grade stands
    HEADS_ONLY = "heads_only"
    STALE = "stale"  # no such sample, or no such grade


@dataclass(frozen=True)
class GradeResult:
    outcome: Graded
    grade: int | None = None  # the grade that stands
    lead_id: int | None = None
    manager: str = ""


def grader(manager_id: int | None) -> str:
    return f"manager:{manager_id}" if manager_id is not None else ADMINISTRATOR


async def _head_of(uow: UnitOfWork, telegram_id: int) -> int | None:
    member = await uow.managers.by_telegram_id(telegram_id)
    if member is None or not member.active or member.role != ROLE_HEAD:
        return None
    return member.id


async def _grade(
    ctx: AppContext, uow: UnitOfWork, sample_id: int, grade: int, by: str
) -> GradeResult:
    sample = await uow.quality.sample(sample_id)
    if sample is None or not valid_grade(grade):
        return GradeResult(Graded.STALE)
    manager = await uow.managers.get(sample.manager_id)
    name = manager.name if manager is not None else "—"
    if not await uow.quality.grade(sample_id, grade, by, ctx.clock.now()):
        # Graded when it was read (or by a press that raced this one): that grade stands.
        return GradeResult(Graded.ALREADY, sample.grade, sample.lead_id, name)
    return GradeResult(Graded.SAVED, grade, sample.lead_id, name)


async def grade_in_telegram(
    ctx: AppContext, sample_id: int, telegram_id: int, grade: int
) -> GradeResult:
    async with ctx.db.uow() as uow:
        head_id = await _head_of(uow, telegram_id)
        if head_id is None:
            return GradeResult(Graded.HEADS_ONLY)
        result = await _grade(ctx, uow, sample_id, grade, grader(head_id))
        await uow.commit()
    return result


class Commented(StrEnum):
    SAVED = "saved"
    TOO_LONG = "too_long"
    REFUSED = "refused"  # not the head who graded it


async def comment_in_telegram(
    ctx: AppContext, sample_id: int, telegram_id: int, text: str
) -> tuple[Commented, int | None]:
    """The grader's comment on his grade; the lead's id for the confirmation."""
    comment = text.strip()
    if len(comment) > COMMENT_LIMIT:
        return Commented.TOO_LONG, None
    async with ctx.db.uow() as uow:
        head_id = await _head_of(uow, telegram_id)
        sample = await uow.quality.sample(sample_id)
        if head_id is None or sample is None or not comment:
            return Commented.REFUSED, None
        if not await uow.quality.set_comment(sample_id, grader(head_id), comment):
            return Commented.REFUSED, None
        await uow.commit()
    return Commented.SAVED, sample.lead_id


async def grade_on_dashboard(
    ctx: AppContext, sample_id: int, viewer: Viewer, grade: int, comment: str | None
) -> GradeResult:
    if not viewer.active or not viewer.sees_everyone:
        return GradeResult(Graded.HEADS_ONLY)
    if comment is not None and len(comment) > COMMENT_LIMIT:
        return GradeResult(Graded.STALE)
    by = grader(viewer.manager_id)
    async with ctx.db.uow() as uow:
        result = await _grade(ctx, uow, sample_id, grade, by)
        if result.outcome is Graded.SAVED and comment:
            await uow.quality.set_comment(sample_id, by, comment)
        await uow.commit()
    return result


@dataclass(frozen=True)
class Said:
    inbound: bool
    who: str | None  # the manager's name; None: the customer (inbound) or the bot
    text: str
    at: datetime


@dataclass(frozen=True)
class PendingSample:
    sample_id: int
    lead_id: int
    customer: str
    manager: str
    status: str
    closed_at: datetime | None
    messages: list[Said]
    total: int


async def pending_samples(ctx: AppContext) -> list[PendingSample]:
    """What waits for a grade, the newest week first, each with its conversation."""
    shown: list[PendingSample] = []
    async with ctx.db.uow() as uow:
        names = {m.id: m.name for m in await uow.managers.all(include_retired=True)}
        for sample in await uow.quality.ungraded(PENDING_SHOWN):
            lead = await uow.leads.get(sample.lead_id)
            if lead is None:
                continue
            messages, total = await uow.messages.recent(lead.id, MESSAGES_SHOWN)
            said = [
                Said(
                    m.direction == "in",
                    names.get(m.author_manager_id) if m.author_manager_id else None,
                    m.text or "📎",
                    m.created_at,
                )
                for m in messages
            ]
            shown.append(
                PendingSample(
                    sample.id,
                    lead.id,
                    await customer_name(uow, lead),
                    names.get(sample.manager_id, "—"),
                    lead.status,
                    lead.closed_at,
                    said,
                    total,
                )
            )
    return shown
