"""Stage playbooks and gates: per stage, a short script for the manager, a checklist of
questions to answer and the lead's fields that must be filled before a lead may enter it.
Pure: what a move from one stage to another still lacks.

A move forward crosses every stage between the two (new → proposal crosses contacted,
qualified and proposal), and each crossed stage's gate must be met: jumping over
"qualified" does not skip its questions. A move back crosses nothing and is always open.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.pipeline import STAGE_ORDER, LeadStatus

# A question's key travels in button data (64 bytes in all): short, latin, stable.
QUESTION_KEY_PATTERN = "^[a-z][a-z0-9_]{0,19}$"
ANSWER_LENGTH = 500
# Stages a lead can be moved into (a lead enters "new" by being created; closing has its
# own dialogs: the amount of a win, the reason of a loss).
GATED_STAGES = (LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.PROPOSAL)


class RequiredField(StrEnum):
    """What a gate may require of the lead itself (values are written in the YAML)."""

    AMOUNT = "amount"  # the deal's amount
    PHONE = "phone"  # the customer's phone number
    EMAIL = "email"  # the customer's e-mail
    NAME = "name"  # the customer's name


@dataclass(frozen=True)
class Question:
    key: str
    # As the YAML words it: the team's own language.
    text: str
    # Answers offered as buttons; a typed answer is always taken too.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Playbook:
    stage: str
    script: str = ""
    checklist: tuple[Question, ...] = ()
    required: tuple[RequiredField, ...] = ()


@dataclass(frozen=True)
class Missing:
    """What a move still lacks: unanswered questions and empty fields, in gate order."""

    questions: tuple[Question, ...] = ()
    fields: tuple[RequiredField, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.questions or self.fields)

    def keys(self) -> list[str]:
        """For the history and the API: question keys and field names."""
        return [q.key for q in self.questions] + [f.value for f in self.fields]


def crossed(current: str, target: str) -> tuple[str, ...]:
    """The stages a move from `current` to `target` enters, in pipeline order."""
    order = [stage.value for stage in STAGE_ORDER]
    if target not in order:
        return ()
    start = order.index(current) if current in order else -1
    end = order.index(target)
    return tuple(order[start + 1 : end + 1]) if end > start else ()


def missing(
    playbooks: Mapping[str, Playbook],
    current: str,
    target: str,
    answered: Collection[str],
    filled: Collection[RequiredField],
) -> Missing:
    questions: list[Question] = []
    fields: list[RequiredField] = []
    for stage in crossed(current, target):
        playbook = playbooks.get(stage)
        if playbook is None:
            continue
        questions += [q for q in playbook.checklist if q.key not in answered and q not in questions]
        fields += [f for f in playbook.required if f not in filled and f not in fields]
    return Missing(tuple(questions), tuple(fields))


def filled_fields(
    *, amount: int | None, phone: str | None, email: str | None, name: str | None
) -> frozenset[RequiredField]:
    values = {
        RequiredField.AMOUNT: amount is not None and amount > 0,
        RequiredField.PHONE: bool((phone or "").strip()),
        RequiredField.EMAIL: bool((email or "").strip()),
        RequiredField.NAME: bool((name or "").strip()),
    }
    return frozenset(field for field, present in values.items() if present)


def next_gate(playbooks: Mapping[str, Playbook], current: str) -> Playbook | None:
    """The gate of the stage after `current` (what the card asks to fill next), if any."""
    later = crossed(current, LeadStatus.PROPOSAL.value)
    playbook = playbooks.get(later[0]) if later else None
    return playbook if playbook is not None and (playbook.checklist or playbook.required) else None


def question_of(playbooks: Mapping[str, Playbook], key: str) -> Question | None:
    for playbook in playbooks.values():
        for question in playbook.checklist:
            if question.key == key:
                return question
    return None


def clean_answer(text: str) -> str:
    """A typed answer as kept: one line of spaces, at most ANSWER_LENGTH characters."""
    return " ".join(text.split())[:ANSWER_LENGTH]
