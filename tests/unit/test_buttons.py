"""Every button a use case writes is read back by its CallbackData class, field for field."""

from __future__ import annotations

import pytest

from bot.callbacks import (
    ComplaintAction,
    LeadAction,
    LeadsPage,
    SurveyScore,
    TeamAction,
    TermsAction,
)
from domain.buttons import (
    MAX_DATA_BYTES,
    ComplaintButton,
    LeadButton,
    ListFilter,
    TeamButton,
    TermsButton,
    complaint_button,
    lead_button,
    list_button,
    survey_button,
    team_button,
    terms_button,
)


@pytest.mark.parametrize("action", list(LeadButton))
@pytest.mark.parametrize("argument", ["", "qualified", "l.3", "2147483647"])
def test_lead_buttons_round_trip(action: LeadButton, argument: str) -> None:
    data = lead_button(action, 2_147_483_647, argument)
    parsed = LeadAction.unpack(data)
    assert (parsed.action, parsed.lead_id, parsed.argument) == (action, 2_147_483_647, argument)
    assert parsed.pack() == data


@pytest.mark.parametrize("action", list(ComplaintButton))
def test_complaint_buttons_round_trip(action: ComplaintButton) -> None:
    data = complaint_button(action, 41, "7")
    parsed = ComplaintAction.unpack(data)
    assert (parsed.action, parsed.complaint_id, parsed.argument) == (action, 41, "7")
    assert parsed.pack() == data


def test_survey_buttons_round_trip() -> None:
    parsed = SurveyScore.unpack(survey_button(12, 5))
    assert (parsed.survey_id, parsed.score) == (12, 5)


@pytest.mark.parametrize("kind", list(ListFilter))
@pytest.mark.parametrize(("page", "manager_id"), [(0, 0), (7, 2_147_483_647)])
def test_list_buttons_round_trip(kind: ListFilter, page: int, manager_id: int) -> None:
    data = list_button(kind, page, manager_id)
    parsed = LeadsPage.unpack(data)
    assert (parsed.kind, parsed.page, parsed.manager_id) == (kind, page, manager_id)
    assert parsed.pack() == data


@pytest.mark.parametrize("action", list(TermsButton))
def test_terms_buttons_round_trip(action: TermsButton) -> None:
    data = terms_button(action, 2_147_483_647)
    parsed = TermsAction.unpack(data)
    assert (parsed.action, parsed.request_id) == (action, 2_147_483_647)
    assert parsed.pack() == data


@pytest.mark.parametrize("action", list(TeamButton))
def test_team_buttons_round_trip(action: TeamButton) -> None:
    data = team_button(action, 9_007_199_254)
    parsed = TeamAction.unpack(data)
    assert (parsed.action, parsed.telegram_id) == (action, 9_007_199_254)
    assert parsed.pack() == data


def test_families_do_not_read_each_other() -> None:
    with pytest.raises(ValueError):
        LeadsPage.unpack(lead_button(LeadButton.TAKE, 1))
    # aiogram's filter treats both as "not this family".
    with pytest.raises((ValueError, TypeError)):
        TeamAction.unpack(list_button(ListFilter.ALL, 0))
    with pytest.raises(ValueError):
        LeadAction.unpack(complaint_button(ComplaintButton.TAKE, 1))
    with pytest.raises(ValueError):
        ComplaintAction.unpack(lead_button(LeadButton.TAKE, 1))
    with pytest.raises(ValueError):
        LeadAction.unpack("lead:nonsense:1:")


def test_values_are_unique_within_a_family() -> None:
    assert len({b.value for b in LeadButton}) == len(LeadButton)
    assert len({b.value for b in ComplaintButton}) == len(ComplaintButton)
    assert len({b.value for b in ListFilter}) == len(ListFilter)


def test_data_over_telegram_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        lead_button(LeadButton.CHOOSE_REASON, 1, "x" * MAX_DATA_BYTES)
