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


class ComplaintButton(StrEnum):
    CONFIRM = "ok"
    REJECT = "rej"
    TAKE = "take"
    ASSIGN_TO = "asg"
    RESOLVE = "res"


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
