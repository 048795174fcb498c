from __future__ import annotations

from dataclasses import dataclass

import pytest

from domain.lead_access import Access, may_act, offer_access, work_access


@dataclass
class Person:
    id: int
    role: str = "manager"
    active: bool = True


@dataclass
class LeadRow:
    is_open: bool = True
    manager_id: int | None = None
    offered_manager_id: int | None = None


@pytest.mark.parametrize(
    ("person", "lead", "expected"),
    [
        (Person(1), LeadRow(manager_id=1), Access.DONE),
        (Person(1), LeadRow(offered_manager_id=1), Access.STALE),  # accept first
        (Person(1), LeadRow(manager_id=2), Access.NOT_YOURS),
        (Person(1, active=False), LeadRow(manager_id=1), Access.NOT_YOURS),
        (Person(9, role="head"), LeadRow(manager_id=2), Access.DONE),
        (Person(9, role="head"), LeadRow(is_open=False), Access.STALE),
        (None, LeadRow(manager_id=1), Access.NOT_YOURS),
        (Person(1), None, Access.STALE),
    ],
)
def test_work_access(person: Person | None, lead: LeadRow | None, expected: Access) -> None:
    assert work_access(person, lead) is expected


def test_may_act_and_offer_access() -> None:
    assert may_act(Person(1), LeadRow(offered_manager_id=1))
    assert not may_act(Person(1), LeadRow(manager_id=2))
    assert offer_access(Person(1), LeadRow(offered_manager_id=1)) is Access.DONE
    assert offer_access(Person(1), LeadRow(manager_id=1)) is Access.STALE
    assert offer_access(None, LeadRow(offered_manager_id=1)) is Access.STALE
