"""domain.pipeline: which lead statuses are open and which are closed."""

from __future__ import annotations

import pytest

from domain.pipeline import CLOSED_STATUSES, OPEN_STATUSES, STAGE_ORDER, LeadStatus


@pytest.mark.parametrize(
    ("status", "is_open"),
    [
        (LeadStatus.NEW, True),
        (LeadStatus.CONTACTED, True),
        (LeadStatus.QUALIFIED, True),
        (LeadStatus.PROPOSAL, True),
        (LeadStatus.WON, False),
        (LeadStatus.LOST, False),
        (LeadStatus.DISQUALIFIED, False),
    ],
)
def test_is_open(status: LeadStatus, is_open: bool) -> None:
    assert status.is_open is is_open
    assert (status in OPEN_STATUSES) is is_open
    assert (status in CLOSED_STATUSES) is not is_open


def test_open_and_closed_partition_all_statuses() -> None:
    assert OPEN_STATUSES | CLOSED_STATUSES == set(LeadStatus)
    assert not OPEN_STATUSES & CLOSED_STATUSES
    assert {status.value for status in CLOSED_STATUSES} == {"won", "lost", "disqualified"}
    assert {status.value for status in OPEN_STATUSES} == {
        "new",
        "contacted",
        "qualified",
        "proposal",
    }


def test_values_are_the_stored_strings() -> None:
    assert [status.value for status in LeadStatus] == [
        "new",
        "contacted",
        "qualified",
        "proposal",
        "won",
        "lost",
        "disqualified",
    ]
    assert LeadStatus("qualified") is LeadStatus.QUALIFIED
    assert LeadStatus.WON == "won"
    assert f"{LeadStatus.LOST}" == "lost"
    with pytest.raises(ValueError):
        LeadStatus("closed")


def test_stage_order_runs_from_new_to_won() -> None:
    assert STAGE_ORDER == (
        LeadStatus.NEW,
        LeadStatus.CONTACTED,
        LeadStatus.QUALIFIED,
        LeadStatus.PROPOSAL,
        LeadStatus.WON,
    )
    assert all(status.is_open for status in STAGE_ORDER[:-1])
    assert not STAGE_ORDER[-1].is_open
