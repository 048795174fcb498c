"""The button protocol: what each inline button does and how its data is written.

Use cases write button data with these functions; bot/callbacks.py reads it back with
aiogram CallbackData classes of the same prefixes and fields (a unit test round-trips
every action), so the wire format lives here once. The short values are what Telegram
stores in buttons already sent: renaming a value strands those buttons, so names change
freely and values never.
"""

from __future__ import annotations

from enum import StrEnum

SEPARATOR = ":"
LEAD = "lead"
COMPLAINT = "cmp"
SURVEY = "srv"
LIST = "lst"
TEAM = "team"
TERMS = "trm"
# A head's grade of a sampled conversation (1–5), or NO_COMMENT after it.
QUALITY = "qa"
NO_COMMENT = 0
# Telegram's limit on callback_data, in bytes.
MAX_DATA_BYTES = 64


class LeadButton(StrEnum):
    ACCEPT = "acc"
    DECLINE = "dec"
    REPLY = "rep"
    COMMENT = "com"
    COMPLAIN = "cmpl"
    MOVE_STAGE = "stg"
    WON = "won"
    LOST = "lost"
    DISQUALIFY = "dq"
    CHOOSE_REASON = "rsn"
    TAKE = "take"
    ASSIGN_TO = "asg"
    # A head's «Передать»: shows the managers to pick from (each an ASSIGN_TO).
    PASS = "pass"
    # Next steps. NEXT_STEP's argument is a domain.next_steps.Preset value, or TYPED for
    # the dialog; the others name the step ("<step id>.<kind>" for STEP_KIND).
    NEXT_STEP = "ns"
    STEP_KIND = "nsk"
    STEP_DONE = "nsd"
    STEP_NOTE = "nsn"
    # Special terms: without an argument the kinds to choose from; with a
    # domain.special_terms.TermKind value, the question of its size.
    SPECIAL_TERMS = "trm"
    # Stage gates: GATE_ASK opens the answer dialog of a checklist question (its key),
    # GATE_CHOICE answers with one of its choices ("<key>.<index>"), GATE_OVERRIDE is a
    # head's move past an unmet gate (the stage).
    GATE_ASK = "gq"
    GATE_CHOICE = "ga"
    GATE_OVERRIDE = "go"


# NEXT_STEP's argument that opens the dialog for a typed time.
TYPED_TIME = "x"


# WON's argument on the «Без суммы» button: close as won without asking the amount.
# WON without an argument (the card's button) asks for the amount first.
NO_AMOUNT = "-"


class ComplaintButton(StrEnum):
    CONFIRM = "ok"
    REJECT = "rej"
    TAKE = "take"
    ASSIGN_TO = "asg"
    RESOLVE = "res"


class ListFilter(StrEnum):
    """Which of the team's open leads a head's /leads page shows."""

    ALL = "all"
    UNASSIGNED = "none"
    OVERDUE = "late"
    MANAGER = "m"  # one manager's (his id in the button)


class TeamButton(StrEnum):
    HANDOVER = "ho"  # hand all of a member's open leads to the others


class TermsButton(StrEnum):
    """A head's answer to a special-terms request (the request's id in the button)."""

    APPROVE = "ok"
    DECLINE = "no"


def _join(*parts: object) -> str:
    data = SEPARATOR.join(str(part) for part in parts)
    if len(data.encode()) > MAX_DATA_BYTES:
        raise ValueError(f"button data over {MAX_DATA_BYTES} bytes: {data!r}")
    return data


def lead_button(action: LeadButton, lead_id: int, argument: str = "") -> str:
    return _join(LEAD, action.value, lead_id, argument)


def complaint_button(action: ComplaintButton, complaint_id: int, argument: str = "") -> str:
    return _join(COMPLAINT, action.value, complaint_id, argument)


def survey_button(survey_id: int, score: int) -> str:
    return _join(SURVEY, survey_id, score)


def list_button(kind: ListFilter, page: int, manager_id: int = 0) -> str:
    return _join(LIST, kind.value, page, manager_id)


def team_button(action: TeamButton, telegram_id: int) -> str:
    return _join(TEAM, action.value, telegram_id)


def terms_button(action: TermsButton, request_id: int) -> str:
    return _join(TERMS, action.value, request_id)


def grade_button(sample_id: int, grade: int) -> str:
    return _join(QUALITY, sample_id, grade)
