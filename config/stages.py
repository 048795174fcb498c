"""The `stages:` section: per stage, a short script shown to the manager while a lead is in
it, and the gate a lead must pass to enter it: a checklist of questions answered on the
card and fields of the lead that must be filled (domain/gates.py has the rules)."""

from __future__ import annotations

from pydantic import Field, model_validator

from config.base import Strict
from domain.gates import ANSWER_LENGTH, GATED_STAGES, QUESTION_KEY_PATTERN, Playbook, RequiredField
from domain.gates import Question as GateQuestion
from domain.pipeline import LeadStatus

STAGE_NAMES = (LeadStatus.NEW.value, *(stage.value for stage in GATED_STAGES))


class Question(Strict):
    # Stable: answers are kept under it, and it is written into buttons.
    key: str = Field(pattern=QUESTION_KEY_PATTERN)
    question: str = Field(min_length=1, max_length=300)
    # Answers offered as buttons (a typed answer is always taken as well).
    choices: list[str] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _short_choices(self) -> Question:
        for choice in self.choices:
            if not 0 < len(choice.strip()) <= min(ANSWER_LENGTH, 60):
                raise ValueError(f"{self.key}: a choice is 1 to 60 characters")
        return self


class Stage(Strict):
    script: str = Field(default="", max_length=2000)
    checklist: list[Question] = Field(default_factory=list, max_length=12)
    required: list[RequiredField] = Field(default_factory=list)


class Stages(Strict):
    """`stages: {contacted: {...}, qualified: {...}, proposal: {...}}`; a stage left out has
    no script and an open gate."""

    new: Stage | None = None
    contacted: Stage | None = None
    qualified: Stage | None = None
    proposal: Stage | None = None

    @model_validator(mode="after")
    def _gates(self) -> Stages:
        if self.new is not None and (self.new.checklist or self.new.required):
            raise ValueError(
                "new: a lead enters this stage by being created; only a script may be given"
            )
        seen: set[str] = set()
        for name in STAGE_NAMES:
            stage = getattr(self, name)
            for item in stage.checklist if stage else ():
                if item.key in seen:
                    raise ValueError(f"{name}.checklist: the key {item.key!r} is used twice")
                seen.add(item.key)
        return self

    def playbooks(self) -> dict[str, Playbook]:
        found = {}
        for name in STAGE_NAMES:
            stage = getattr(self, name)
            if stage is None:
                continue
            found[name] = Playbook(
                stage=name,
                script=stage.script.strip(),
                checklist=tuple(
                    GateQuestion(
                        item.key, item.question.strip(), tuple(c.strip() for c in item.choices)
                    )
                    for item in stage.checklist
                ),
                required=tuple(dict.fromkeys(stage.required)),
            )
        return found
