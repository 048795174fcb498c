from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from domain import lead_transitions as t

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_accept_and_reassign_end_the_offer() -> None:
    assert t.accepted(3, NOW) == {
        "manager_id": 3,
        "assigned_at": NOW,
        "accepted_at": NOW,
        "offered_manager_id": None,
        "offer_expires_at": None,
    }
    assert t.reassigned(3, NOW) == {**t.accepted(3, NOW), "needs_head": False, "queued_at": None}


def test_pass_and_close() -> None:
    passed = t.offer_passed(2)
    assert passed == {"offered_manager_id": None, "offer_expires_at": None, "pass_count": 3}
    won = t.closed("won", NOW, reason="price")
    assert won["is_open"] is False and "loss_reason" not in won
    assert t.closed("lost", NOW, reason="other", comment="too far")["loss_reason"] == "too far"
    assert t.closed("lost", NOW, reason="price", comment="x")["loss_reason"] == "price"
    folded = t.folded(7, NOW)
    assert folded["status"] == "disqualified" and folded["loss_reason"] == "merged into lead #7"
    assert folded["needs_head"] is False and folded["queued_at"] is None


def test_apply_writes_the_fields() -> None:
    lead = SimpleNamespace(pass_count=0, offered_manager_id=5, offer_expires_at=NOW)
    t.apply(lead, t.offer_passed(lead.pass_count))
    assert (lead.pass_count, lead.offered_manager_id, lead.offer_expires_at) == (1, None, None)
