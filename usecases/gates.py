"""Stage gates at work: what a move still lacks (domain/gates.py decides, from the lead's
checklist answers and fields), the refusal or the head's override written into the lead's
history, and the checklist answered from the card, the API or a dialog.

A refused move is a `gate_refused` event credited to the manager who tried (reports count
them per manager); a head's override is a `gate_overridden` event naming who and what was
skipped. A head's own refused press is no attempt to break his rules: it is not counted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain import gates
from domain.gates import Missing, Playbook, Question
from domain.lead_access import ROLE_HEAD
from storage.repos.gates import GATE_REFUSED
from storage.uow import UnitOfWork
from usecases.acting import Acting, acting_on
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.gate_rules import missing_for, playbooks

GATE_OVERRIDDEN = "gate_overridden"
CHECKLIST_ANSWERED = "checklist_answered"


@dataclass(frozen=True)
class StageMove:
    verdict: Verdict
    missing: Missing = field(default_factory=Missing)
    # The one who tried may move it anyway (a head, or the administrator).
    may_override: bool = False


@dataclass(frozen=True)
class Answered:
    verdict: Verdict
    questions: tuple[Question, ...] = ()
    # The stage whose gate the (last) answered question belongs to, and what it still lacks.
    stage: str | None = None
    remaining: Missing = field(default_factory=Missing)


def may_override(acting: Acting) -> bool:
    return acting.manager is None or acting.manager.role == ROLE_HEAD


async def check_move(
    ctx: AppContext, uow: UnitOfWork, acting: Acting, stage: str, *, override: bool
) -> StageMove:
    """Inside the move's unit of work. DONE: the move may go on (`missing` holds what a
    head's override skipped, recorded); GATE: refused (recorded as an attempt when a
    manager made it)."""
    lead = acting.lead
    lacking = await missing_for(ctx, uow, lead, stage)
    if not lacking:
        return StageMove(Verdict.DONE)
    head = may_override(acting)
    data = {"from": lead.status, "to": stage, "missing": lacking.keys()}
    if override and head:
        uow.events.add(
            lead.id,
            GATE_OVERRIDDEN,
            ctx.clock.now(),
            actor=acting.actor,
            manager_id=acting.manager_id,
            data={**data, "skipped": [_plain_name(ctx, item) for item in _items(lacking)]},
        )
        return StageMove(Verdict.DONE, lacking, head)
    if not head:
        uow.events.add(
            lead.id,
            GATE_REFUSED,
            ctx.clock.now(),
            actor=acting.actor,
            manager_id=acting.manager_id,
            data=data,
        )
    return StageMove(Verdict.GATE, lacking, head)


def _items(lacking: Missing) -> list[Question | gates.RequiredField]:
    return [*lacking.questions, *lacking.fields]


def _plain_name(ctx: AppContext, item: Question | gates.RequiredField) -> str:
    """The history's words for a skipped item, in the team's first language."""
    if isinstance(item, Question):
        return item.text
    return str(ctx.texts.get(f"gate_field_{item.value}", "ru"))


async def answer(
    ctx: AppContext, lead_id: int, telegram_id: int | None, answers: Mapping[str, str]
) -> Answered:
    """Keep the answers to checklist questions (key → text; the latest replaces an earlier
    one) on an open lead its holder (or a head) works. Unknown keys and empty answers
    change nothing: STALE."""
    books = playbooks(ctx)
    found = {key: gates.question_of(books, key) for key in answers}
    cleaned = {key: gates.clean_answer(text) for key, text in answers.items()}
    if not answers or None in found.values() or not all(cleaned.values()):
        return Answered(Verdict.STALE)
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id)
        if isinstance(acting, Verdict):
            return Answered(acting)
        lead, now = acting.lead, ctx.clock.now()
        for key, text in cleaned.items():
            await uow.checklists.answer(lead.id, key, text, acting.manager_id, now)
            uow.events.add(
                lead.id,
                CHECKLIST_ANSWERED,
                now,
                actor=acting.actor,
                manager_id=acting.manager_id,
                data={"question": key, "answer": text},
            )
        last = list(found.values())[-1]
        assert last is not None
        stage = stage_of(books, last.key)
        remaining = await missing_for(ctx, uow, lead, stage) if stage else Missing()
        await uow.commit()
    questions = tuple(q for q in found.values() if q is not None)
    return Answered(Verdict.DONE, questions, stage, remaining)


def stage_of(books: Mapping[str, Playbook], key: str) -> str | None:
    for stage, book in books.items():
        if any(question.key == key for question in book.checklist):
            return stage
    return None


async def may_answer(ctx: AppContext, lead_id: int, telegram_id: int, key: str) -> Verdict:
    """Before the dialog opens: a question that exists, on a lead he may work now."""
    if gates.question_of(playbooks(ctx), key) is None:
        return Verdict.STALE
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id, for_update=False)
    return acting if isinstance(acting, Verdict) else Verdict.DONE
