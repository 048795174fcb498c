from __future__ import annotations

from dataclasses import dataclass

from domain import escalation as e


@dataclass
class Person:
    role: str
    active: bool = True


def test_only_active_heads_hear_escalations() -> None:
    assert e.hears_escalations(Person("head"))
    assert not e.hears_escalations(Person("head", active=False))
    assert not e.hears_escalations(Person("manager"))


def test_once_per_lead_and_reason_with_stable_dedupe_keys() -> None:
    assert e.no_taker(5, 3).once_per_lead and e.no_taker(5, 3).dedupe_key == "no_taker:5"
    assert e.no_taker(5, 3).event == {"reason": "no_taker", "passes": 3}
    assert e.no_reason(5).event == {"reason": "no_reason"}
    timer = e.sla_timer(5, "first_response", "first_response_head")
    assert timer.key == "first_response" and timer.event == {"timer": "first_response_head"}
    # The keys the outbox already knew stay as they were.
    assert e.queue_started(5).dedupe_key == "queue:5" and not e.queue_started(5).once_per_lead
    overdue = e.complaint_overdue(9)
    assert overdue.dedupe_key == "complaint-overdue:9" and overdue.lead_id is None
