"""What staff read about stage playbooks in Telegram: the card's script and checklist
with a button per question, the refusal naming what a move lacks (questions in the
YAML's words, fields in the catalogue's), the checklist dialog's prompts and /script."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import gates
from domain.buttons import LeadButton, lead_button
from domain.gates import Missing, Question, RequiredField
from domain.lead_access import may_act
from storage.models import Lead
from storage.uow import UnitOfWork
from texts import Safe, Texts
from usecases import cards
from usecases.context import AppContext
from usecases.gate_rules import missing_for, playbooks

if TYPE_CHECKING:
    from usecases.gates import StageMove

Rows = list[list[dict[str, str]]]
# A question's words on a button are cut here (its full text is in the message).
BUTTON_CHARS = 40


def field_name(texts: Texts, language: str, field: RequiredField) -> Safe:
    return texts.get(f"gate_field_{field.value}", language)


def item_names(texts: Texts, language: str, lacking: Missing) -> list[str]:
    """Each missing item as staff read it: the question, or the field in words."""
    return [q.text for q in lacking.questions] + [
        str(field_name(texts, language, f)) for f in lacking.fields
    ]


def _short(text: str) -> str:
    return text if len(text) <= BUTTON_CHARS else text[: BUTTON_CHARS - 1] + "…"


def question_rows(
    texts: Texts, language: str, lead_id: int, questions: Any, answered: Any = ()
) -> Rows:
    """A button per question (ticked once answered): it opens the answer dialog."""
    return [
        [
            {
                "text": str(
                    texts.get(
                        "btn_gate_answered" if q.key in answered else "btn_gate_question",
                        language,
                        question=_short(q.text),
                    )
                ),
                "callback_data": lead_button(LeadButton.GATE_ASK, lead_id, q.key),
            }
        ]
        for q in questions
    ]


def _script(texts: Texts, language: str, stage: str, script: str) -> Safe:
    name = cards.stage_name(texts, language, stage)
    return texts.get("gate_script", language, stage=name, script=script)


async def card_part(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, language: str
) -> tuple[str, Rows]:
    """The card's playbook: the script of the lead's stage and the checklist of the next
    stage's gate, each line ticked or not, with a button per question."""
    if not lead.is_open:
        return "", []
    books = playbooks(ctx)
    lines: list[str] = []
    book = books.get(lead.status)
    if book is not None and book.script:
        lines.append(_script(ctx.texts, language, lead.status, book.script))
    gate = gates.next_gate(books, lead.status)
    rows: Rows = []
    if gate is not None:
        answers = await uow.checklists.for_lead(lead.id)
        lacking = await missing_for(ctx, uow, lead, gate.stage)
        stage = cards.stage_name(ctx.texts, language, gate.stage)
        gate_lines = [ctx.texts.get("gate_card_title", language, stage=stage)]
        for question in gate.checklist:
            done = answers.get(question.key)
            gate_lines.append(
                ctx.texts.get(
                    "gate_card_answered" if done else "gate_card_open",
                    language,
                    question=question.text,
                    answer=done.answer if done else "",
                )
            )
        for field in gate.required:
            key = "gate_card_field_open" if field in lacking.fields else "gate_card_field_done"
            gate_lines.append(
                ctx.texts.get(key, language, field=field_name(ctx.texts, language, field))
            )
        lines.append("\n".join(gate_lines))
        rows = question_rows(ctx.texts, language, lead.id, gate.checklist, set(answers))
    return ("\n\n" + "\n\n".join(lines) if lines else ""), rows


def refusal(
    texts: Texts, language: str, lead_id: int, stage: str, move: StageMove
) -> tuple[Safe, Rows]:
    """«Лид #7 пока нельзя перевести…» with each missing item a line, a button per
    unanswered question, and for a head the override."""
    missing = "\n".join(
        str(texts.get("gate_missing_line", language, item=name))
        for name in item_names(texts, language, move.missing)
    )
    hint = "gate_refused_head_hint" if move.may_override else "gate_refused_manager_hint"
    text = texts.get(
        "gate_refused",
        language,
        lead_id=lead_id,
        stage=cards.stage_name(texts, language, stage),
        missing=Safe(missing),
    )
    rows = question_rows(texts, language, lead_id, move.missing.questions)
    if move.may_override:
        rows.append(
            [
                {
                    "text": str(texts.get("btn_gate_override", language)),
                    "callback_data": lead_button(LeadButton.GATE_OVERRIDE, lead_id, stage),
                }
            ]
        )
    return Safe(f"{text}\n\n{texts.get(hint, language)}"), rows


def overridden(texts: Texts, language: str, lead_id: int, stage: str, lacking: Missing) -> Safe:
    skipped = "\n".join(
        str(texts.get("gate_missing_line", language, item=name))
        for name in item_names(texts, language, lacking)
    )
    return texts.get(
        "gate_overridden",
        language,
        lead_id=lead_id,
        stage=cards.stage_name(texts, language, stage),
        skipped=Safe(skipped),
    )


def question_prompt(
    texts: Texts, language: str, lead_id: int, question: Question
) -> tuple[Safe, Rows]:
    key = "ask_gate_choice" if question.choices else "ask_gate_answer"
    rows = [
        [
            {
                "text": choice,
                "callback_data": lead_button(
                    LeadButton.GATE_CHOICE, lead_id, f"{question.key}.{index}"
                ),
            }
        ]
        for index, choice in enumerate(question.choices)
    ]
    return texts.get(key, language, question=question.text, lead_id=lead_id), rows


def after_answer(
    texts: Texts,
    language: str,
    lead_id: int,
    question: Question,
    answer: str,
    stage: str | None,
    remaining: Missing,
) -> tuple[Safe, Rows]:
    """The answer kept; the questions still open as buttons, or, once the stage's gate is
    met, the move itself as a button."""
    text = texts.get(
        "gate_answer_saved", language, lead_id=lead_id, question=question.text, answer=answer
    )
    if stage is None:
        return text, []
    if remaining:
        return text, question_rows(texts, language, lead_id, remaining.questions)
    name = cards.stage_name(texts, language, stage)
    done = texts.get("gate_answer_all_done", language, stage=name, lead_id=lead_id)
    move = {
        "text": str(texts.get("btn_gate_move", language, stage=name)),
        "callback_data": lead_button(LeadButton.MOVE_STAGE, lead_id, stage),
    }
    return Safe(f"{text}\n{done}"), [[move]]


async def script_text(
    ctx: AppContext, telegram_id: int, lead_id: int | None
) -> tuple[Safe, Rows] | None:
    """/script: every stage's script; /script N: lead N's stage script and its next gate
    with the question buttons. None when the reader is not staff."""
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None:
            return None
        language = manager.language
        books = playbooks(ctx)
        if lead_id is None:
            scripts = [
                _script(ctx.texts, language, stage, book.script)
                for stage, book in books.items()
                if book.script
            ]
            if not scripts:
                return ctx.texts.get("script_none", language), []
            title = ctx.texts.get("script_title", language)
            return Safe("\n\n".join([title, *scripts])), []
        lead = await uow.leads.get(lead_id)
        if lead is None or not may_act(manager, lead):
            return ctx.texts.get("lead_not_found", language, lead_id=lead_id), []
        part, rows = await card_part(ctx, uow, lead, language)
    stage = cards.stage_name(ctx.texts, language, lead.status)
    title = ctx.texts.get("script_lead_title", language, lead_id=lead.id, stage=stage)
    book = books.get(lead.status)
    if book is None or not book.script:
        title = Safe(title + "\n" + ctx.texts.get("script_lead_none", language, stage=stage))
    return Safe(title + part), rows
