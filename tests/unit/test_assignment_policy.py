"""The distribution policy as plain rules, including a property test of fairness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.assignment import LEVELS, Candidate, choose_manager

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def person(id: int, **changes: object) -> Candidate:
    values: dict[object, object] = dict(
        id=id,
        level="middle",
        active=True,
        paused=False,
        on_shift=True,
        open_leads=0,
        capacity=5,
        last_offered_at=None,
    )
    values.update(changes)
    return Candidate(**values)  # type: ignore[arg-type]


def test_ineligible_people_are_never_chosen() -> None:
    pool = [
        person(1, active=False),
        person(2, paused=True),
        person(3, on_shift=False),
        person(4, open_leads=5),
        person(5, level="junior"),
    ]
    assert choose_manager(pool, "middle") is None
    assert [c.why_not("middle") for c in pool] == [
        "inactive",
        "paused",
        "off shift",
        "at capacity",
        "level too low",
    ]


def test_longest_waiting_wins_then_fewer_open_leads() -> None:
    pool = [
        person(1, last_offered_at=T0),
        person(2, last_offered_at=T0 - timedelta(hours=1)),
        person(3, last_offered_at=T0 - timedelta(hours=1), open_leads=1),
    ]
    assert choose_manager(pool, "junior").id == 2
    never = person(4, last_offered_at=None, open_leads=3)
    assert choose_manager([*pool, never], "junior").id == 4


def test_senior_class_goes_to_senior_only() -> None:
    pool = [person(1, level="junior"), person(2, level="middle"), person(3, level="senior")]
    assert choose_manager(pool, "senior").id == 3
    assert choose_manager(pool[:2], "senior") is None


def test_returning_customer_goes_to_his_manager_if_eligible() -> None:
    pool = [person(1), person(2, last_offered_at=T0)]
    assert choose_manager(pool, "junior", preferred=2).id == 2
    busy = [person(1), person(2, open_leads=5)]
    assert choose_manager(busy, "junior", preferred=2).id == 1


def test_excluded_managers_are_skipped() -> None:
    pool = [person(1), person(2)]
    assert choose_manager(pool, "junior", exclude=frozenset({1})).id == 2
    assert choose_manager(pool, "junior", exclude=frozenset({1, 2})) is None


@settings(max_examples=200, deadline=None)
@given(managers=st.integers(1, 8), leads=st.integers(1, 60))
def test_identical_managers_get_balanced_offers(managers: int, leads: int) -> None:
    pool = {i: person(i, capacity=1000) for i in range(1, managers + 1)}
    offers = dict.fromkeys(pool, 0)
    now = T0
    for _ in range(leads):
        now += timedelta(seconds=1)
        chosen = choose_manager(pool.values(), "junior")
        assert chosen is not None
        offers[chosen.id] += 1
        pool[chosen.id] = person(
            chosen.id, capacity=1000, last_offered_at=now, open_leads=chosen.open_leads + 1
        )
    assert max(offers.values()) - min(offers.values()) <= 1


candidates = st.builds(
    Candidate,
    id=st.integers(1, 50),
    level=st.sampled_from(LEVELS),
    active=st.booleans(),
    paused=st.booleans(),
    on_shift=st.booleans(),
    open_leads=st.integers(0, 10),
    capacity=st.integers(1, 10),
    last_offered_at=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@settings(max_examples=300, deadline=None)
@given(pool=st.lists(candidates, max_size=12), level=st.sampled_from(LEVELS))
def test_never_offered_to_an_ineligible_manager(pool: list[Candidate], level: str) -> None:
    chosen = choose_manager(pool, level)
    eligible = [c for c in pool if c.eligible(level)]
    if chosen is None:
        assert not eligible
    else:
        assert chosen.eligible(level)
        assert chosen.active and not chosen.paused and chosen.on_shift
        assert chosen.open_leads < chosen.capacity
        assert LEVELS.index(chosen.level) >= LEVELS.index(level)
