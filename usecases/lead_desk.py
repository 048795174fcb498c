"""Working a lead from its dashboard page, as the signed-in viewer: reply, comment, stage,
won with amount, lost or disqualified with a reason, pass it on. Each is the Telegram
button's own use case (usecases.work, usecases.reassign, usecases.board) with its rules
and events, so the Telegram card and the page always agree; this module only maps the
viewer to the staff member those use cases know, and says which forms the page offers.

The administrator (DASHBOARD_PASSWORD) has no staff row and no chat: he may move a
lead's stage, as on the board; what needs a staff member to act as is refused with
STAFF_ONLY."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.lead_access import Access, work_access
from domain.pipeline import CLOSED_STATUSES, LeadStatus
from domain.web_access import Viewer
from usecases import reassign, work
from usecases.assignment import Verdict
from usecases.board import TARGET_STAGES, move_card
from usecases.context import AppContext
from usecases.gates import StageMove
from usecases.queries import message_dict

# What a reply or a comment typed on the page may be at most (as in the API).
MAX_TEXT = 4000
OUTCOMES = tuple(
    status.value for status in CLOSED_STATUSES if status != LeadStatus.WON
)  # lost, disqualified


class WebRefusal(StrEnum):
    STAFF_ONLY = "staff_only"


@dataclass(frozen=True)
class Desk:
    """The forms the lead page offers this viewer now."""

    # Reply, comment, won, lost: a staff member who may work the lead.
    works: bool = False
    # Stages he may move it to (the administrator too).
    stages: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    # A head's «Передать»: (manager id, name); and whether «Взять себе» applies.
    targets: list[tuple[int, str]] = field(default_factory=list)
    takes: bool = False


def _staff(viewer: Viewer) -> int | None:
    """The Telegram id the use cases know this viewer by; None: not a staff member."""
    return viewer.telegram_id if viewer.active and not viewer.is_administrator else None


async def desk(ctx: AppContext, viewer: Viewer, lead_id: int) -> Desk:
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get(lead_id)
        if lead is None or work_access(viewer, lead) is not Access.DONE:
            return Desk()
        heads = viewer.sees_everyone and _staff(viewer) is not None
        targets = await reassign.pass_targets(uow, lead) if heads else []
    stages = tuple(stage for stage in TARGET_STAGES if stage != lead.status)
    return Desk(
        works=_staff(viewer) is not None,
        stages=stages,
        reasons=tuple(ctx.config.loss_reasons),
        targets=targets,
        takes=heads and lead.manager_id != viewer.manager_id,
    )


async def conversation(ctx: AppContext, lead_id: int) -> tuple[list[dict[str, Any]], str]:
    """The lead's messages, oldest first, and a version that changes whenever one is
    added, edited or changes its delivery state (the page polls; same version, no swap)."""
    async with ctx.db.uow() as uow:
        messages = [message_dict(message) for message in await uow.messages.for_lead(lead_id)]
    marks = [
        (m["id"], m["delivery_status"], m["delivery_error"], m["edited_at"], m["text"])
        for m in messages
    ]
    digest = hashlib.sha256(json.dumps(marks, default=str).encode()).hexdigest()[:16]
    return messages, digest


async def reply(ctx: AppContext, viewer: Viewer, lead_id: int, text: str) -> Verdict | WebRefusal:
    staff = _staff(viewer)
    if staff is None:
        return WebRefusal.STAFF_ONLY
    return await work.reply(ctx, lead_id, staff, text)


async def comment(ctx: AppContext, viewer: Viewer, lead_id: int, text: str) -> Verdict | WebRefusal:
    staff = _staff(viewer)
    if staff is None:
        return WebRefusal.STAFF_ONLY
    return await work.comment(ctx, lead_id, staff, text)


async def move(
    ctx: AppContext, viewer: Viewer, lead_id: int, stage: str, *, override: bool = False
) -> StageMove:
    """The board's move: refused with what is missing when the stage's gate is shut."""
    return await move_card(ctx, viewer, lead_id, stage, override=override)


async def win(
    ctx: AppContext, viewer: Viewer, lead_id: int, amount: int | None
) -> Verdict | WebRefusal:
    """Closed as won, with the deal's amount (minor units) when one is given."""
    staff = _staff(viewer)
    if staff is None:
        return WebRefusal.STAFF_ONLY
    return await work.close(ctx, lead_id, staff, LeadStatus.WON, amount=amount)


async def lose(
    ctx: AppContext,
    viewer: Viewer,
    lead_id: int,
    outcome: str,
    reason: str,
    comment_text: str | None,
) -> Verdict | WebRefusal:
    """Lost or disqualified, with one of the configured loss reasons (and details)."""
    staff = _staff(viewer)
    if staff is None:
        return WebRefusal.STAFF_ONLY
    if outcome not in OUTCOMES or reason not in ctx.config.loss_reasons:
        return Verdict.STALE
    return await work.close(ctx, lead_id, staff, outcome, reason=reason, comment=comment_text)


async def pass_on(
    ctx: AppContext, viewer: Viewer, lead_id: int, target_id: int | None
) -> Verdict | WebRefusal:
    """A head's «Передать» (to target_id) or «Взять себе» (None); a manager is refused
    by the use case itself (NOT_YOURS), as in Telegram."""
    staff = _staff(viewer)
    if staff is None:
        return WebRefusal.STAFF_ONLY
    return await reassign.head_assign(ctx, lead_id, staff, target_id)
