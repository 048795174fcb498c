"""The pipeline board (канбан): the open leads a viewer may see, a column per open stage,
each card with the customer, the last message, the holder, the age and an overdue mark;
and the moves a card offers, which are the Telegram buttons' own use cases
(work.move_stage for a stage, assignment.accept for an offer), with their rules and
events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.lead_access import Access, work_access
from domain.pipeline import STAGE_ORDER, LeadStatus
from domain.web_access import Viewer, in_queue, may_see_lead
from usecases import work
from usecases.amounts import company_currency
from usecases.assignment import Verdict, accept
from usecases.context import AppContext
from usecases.gates import StageMove
from usecases.head_views import is_overdue
from usecases.money_text import format_money
from usecases.spans import format_age

BOARD_STAGES = tuple(stage.value for stage in STAGE_ORDER if stage.is_open)
# A lead enters "new" by being created; no move leads back there (work.move_stage).
TARGET_STAGES = tuple(stage for stage in BOARD_STAGES if stage != LeadStatus.NEW)
CARDS_PER_COLUMN = 100
PREVIEW_CHARS = 140


def amount_of(lead: Any, currency: str) -> int | None:
    """The deal's amount in minor units of the company's currency; None when it has none
    (an amount kept in a currency the company no longer counts in is not summed)."""
    if lead.amount_minor is None or (lead.currency or currency) != currency:
        return None
    return int(lead.amount_minor)


@dataclass(frozen=True)
class Card:
    id: int
    stage: str
    customer: str
    last_text: str
    last_from_customer: bool
    # "held" (owner named), "offered" (owner named, not accepted yet) or "queue".
    holding: str
    owner: str | None
    age: str
    overdue: bool
    # Stages this viewer may move the card to now; empty when it is not his to move.
    targets: tuple[str, ...]
    # The stage after this one, where the move menu opens (None: the last stage).
    next_stage: str | None
    may_accept: bool
    amount: Any | None = None


@dataclass
class Column:
    stage: str
    count: int = 0
    cards: list[Card] = field(default_factory=list)
    amount: Any | None = None


def _next_stage(stage: str) -> str | None:
    later = BOARD_STAGES[BOARD_STAGES.index(stage) + 1 :] if stage in BOARD_STAGES else ()
    return later[0] if later else None


def _preview(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


async def board(ctx: AppContext, viewer: Viewer, language: str) -> list[Column]:
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        leads = [lead for lead in await uow.leads.open_all() if may_see_lead(viewer, lead)]
        contacts = await uow.contacts.by_ids(sorted({lead.contact_id for lead in leads}))
        last = await uow.messages.last_of_leads([lead.id for lead in leads])
        managers = await uow.reports.managers_by_id()
    currency = company_currency(ctx)

    def money(minor: int | None) -> str | None:
        return None if minor is None else format_money(ctx.texts, language, minor, currency)

    columns = {stage: Column(stage) for stage in BOARD_STAGES}
    for lead in leads:
        column = columns.get(lead.status)
        if column is None:
            continue
        amount = amount_of(lead, currency)
        column.count += 1
        if amount is not None:
            column.amount = (column.amount or 0) + amount
        if len(column.cards) >= CARDS_PER_COLUMN:
            continue
        contact = contacts.get(lead.contact_id)
        message = last.get(lead.id)
        holder = managers.get(lead.manager_id or lead.offered_manager_id or 0)
        if lead.manager_id is not None:
            holding = "held"
        else:
            holding = "queue" if in_queue(lead) else "offered"
        mine = work_access(viewer, lead) is Access.DONE
        targets = tuple(s for s in TARGET_STAGES if s != lead.status) if mine else ()
        column.cards.append(
            Card(
                id=lead.id,
                stage=lead.status,
                customer=(
                    (contact.display_name or contact.username or f"#{contact.id}")
                    if contact
                    else "—"
                ),
                last_text=_preview(message.text if message else None),
                last_from_customer=message is not None and message.direction == "in",
                holding=holding,
                owner=holder.name if holder is not None else None,
                age=format_age(ctx.texts, now - lead.created_at, language),
                overdue=is_overdue(ctx, lead, now),
                targets=targets,
                next_stage=_next_stage(lead.status) if targets else None,
                may_accept=viewer.manager_id is not None
                and lead.manager_id is None
                and lead.offered_manager_id == viewer.manager_id,
                amount=money(amount),
            )
        )
    for column in columns.values():
        column.amount = money(column.amount)
    return list(columns.values())


async def move_card(
    ctx: AppContext, viewer: Viewer, lead_id: int, stage: str, *, override: bool = False
) -> StageMove:
    """The Telegram stage button's use case, acting as the viewer (the administrator
    acts with a head's rights): refused with what is missing when the stage's gate is
    not met, unless a head overrides it."""
    if not viewer.active:
        return StageMove(Verdict.NOT_YOURS)
    return await work.move_stage_checked(ctx, lead_id, viewer.telegram_id, stage, override=override)


async def accept_card(ctx: AppContext, viewer: Viewer, lead_id: int) -> Verdict:
    """The Telegram «Принять» of a lead offered to the viewer."""
    if viewer.telegram_id is None or not viewer.active:
        return Verdict.NOT_YOURS
    return await accept(ctx, lead_id, viewer.telegram_id)
