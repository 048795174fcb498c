"""Button data read back from Telegram: one CallbackData class per button family.

The wire format (prefixes, field order, action values) is domain/buttons.py; these
classes only parse it, so a button written by a use case and read here cannot drift
(tests/unit/test_buttons.py round-trips every action).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from domain import buttons
from domain.buttons import ComplaintButton, LeadButton, ListFilter, TeamButton, TermsButton


class LeadAction(CallbackData, prefix=buttons.LEAD, sep=buttons.SEPARATOR):
    action: LeadButton
    lead_id: int
    argument: str = ""


class ComplaintAction(CallbackData, prefix=buttons.COMPLAINT, sep=buttons.SEPARATOR):
    action: ComplaintButton
    complaint_id: int
    argument: str = ""


class SurveyScore(CallbackData, prefix=buttons.SURVEY, sep=buttons.SEPARATOR):
    survey_id: int
    score: int


class LeadsPage(CallbackData, prefix=buttons.LIST, sep=buttons.SEPARATOR):
    kind: ListFilter
    page: int
    manager_id: int = 0


class TeamAction(CallbackData, prefix=buttons.TEAM, sep=buttons.SEPARATOR):
    action: TeamButton
    telegram_id: int


class TermsAction(CallbackData, prefix=buttons.TERMS, sep=buttons.SEPARATOR):
    action: TermsButton
    request_id: int


class QualityGrade(CallbackData, prefix=buttons.QUALITY, sep=buttons.SEPARATOR):
    sample_id: int
    grade: int  # 1–5, or buttons.NO_COMMENT
