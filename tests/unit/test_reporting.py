"""Report metrics on a hand-built history with answers worked out by hand: reassigned,
reopened, passed-on and still-open leads, a lead from the day before, and the queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.reporting.facts import ComplaintFacts, EventFact, LeadFacts, SlaTargets, SurveyFacts
from domain.reporting.history import replay
from domain.reporting.periods import PeriodError, parse_period, period_between, period_named
from domain.reporting.report import build_report
from domain.reporting.statistics import quantile

A, B = 1, 2
DAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
TARGETS = SlaTargets(
    first_response=timedelta(minutes=30), stage_limits={"qualified": timedelta(hours=2)}
)


def at(hour: int, minute: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def ev(kind: str, moment: datetime, manager: int | None = None, **data: object) -> EventFact:
    return EventFact(kind, moment, manager, data)


def stage(moment: datetime, manager: int, old: str, new: str) -> EventFact:
    return ev("stage_changed", moment, manager, **{"from": old, "to": new})


LEADS = [
    # 1: offered to A, accepted, answered in 10 min, walked to a win.
    LeadFacts(
        1,
        "telegram",
        "ad",
        at(10),
        [
            ev("lead_created", at(10)),
            ev("offered", at(10), None, manager_id=A),
            ev("accepted", at(10, 2), A),
            ev("replied", at(10, 10), A),
            stage(at(10, 15), A, "new", "contacted"),
            stage(at(11, 15), A, "contacted", "qualified"),
            ev("closed", at(12, 15), A, outcome="won", reason=None, comment=None),
        ],
    ),
    # 2: A let the offer expire, B took it and lost it on price.
    LeadFacts(
        2,
        "telegram",
        None,
        at(10),
        [
            ev("offered", at(10), None, manager_id=A),
            ev("offer_expired", at(10, 5), A),
            ev("offered", at(10, 5), None, manager_id=B),
            ev("accepted", at(10, 7), B),
            ev("replied", at(10, 20), B),
            stage(at(10, 30), B, "new", "contacted"),
            ev("closed", at(11), B, outcome="lost", reason="price", comment=None),
        ],
    ),
    # 3: A accepted and sat on it; the head reassigned it to B, who answered; still open
    # in "qualified" past its 2 h limit.
    LeadFacts(
        3,
        "vk",
        "site",
        at(11),
        [
            ev("offered", at(11), None, manager_id=A),
            ev("accepted", at(11, 1), A),
            ev("reassigned", at(12), 9, **{"from": A, "to": B}),
            ev("replied", at(12, 10), B),
            stage(at(12, 10), B, "new", "contacted"),
            stage(at(12, 20), B, "contacted", "qualified"),
        ],
    ),
    # 4: lost with a typed reason, reopened, then won: a win in this period.
    LeadFacts(
        4,
        "telegram",
        "ad",
        at(13),
        [
            ev("offered", at(13), None, manager_id=A),
            ev("accepted", at(13, 3), A),
            ev("replied", at(13, 5), A),
            stage(at(13, 5), A, "new", "contacted"),
            ev("closed", at(13, 30), A, outcome="lost", reason="other", comment="too expensive"),
            ev("reopened", at(14), A, to="contacted"),
            ev("closed", at(16), A, outcome="won"),
        ],
    ),
    # 5: came in the evening, nobody free: waits in the queue, unanswered.
    LeadFacts(5, "telegram", "ad", at(19), [ev("queued", at(19))]),
    # 6: created the day before; its deadline and answer fall today.
    LeadFacts(
        6,
        "telegram",
        "ad",
        at(23, 50, day=4),
        [
            ev("offered", at(23, 50, day=4), None, manager_id=A),
            ev("accepted", at(0, 5), A),
            ev("replied", at(0, 30), A),
        ],
    ),
]
SURVEYS = [
    SurveyFacts(1, A, 5, at(13)),
    SurveyFacts(2, B, 2, at(12)),
    SurveyFacts(6, A, 1, at(12, day=4)),  # answered the day before
    SurveyFacts(4, A, None, None),
]
COMPLAINTS = [
    ComplaintFacts(1, "new", at(12), at(13), None, None, B),
    ComplaintFacts(2, "resolved", at(12, day=4), at(12, day=5), at(15), A, A),
    ComplaintFacts(3, "in_progress", at(18), at(18, day=6), None, A, A),
    ComplaintFacts(4, "rejected", at(10), at(11), at(10, 30), None, None),
]


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    period = period_between(DAY, DAY, ZoneInfo("UTC"))
    return build_report(
        period,
        NOW,
        LEADS,
        targets=TARGETS,
        surveys=SURVEYS,
        complaints=COMPLAINTS,
        names={A: "Anna", B: "Boris"},
    )


def test_leads_by_channel_and_source_are_the_period_cohort(report) -> None:  # type: ignore[no-untyped-def]
    team = report.team
    assert team.leads == 5  # lead 6 was created the day before
    assert team.by_channel == (("telegram", 4), ("vk", 1))
    # A lead without a source counts under its channel.
    assert team.by_source == (("ad", 3), ("site", 1), ("telegram", 1))


def test_funnel_counts_the_furthest_stage_and_a_win_passes_them_all(report) -> None:  # type: ignore[no-untyped-def]
    funnel = report.team.funnel
    assert [(s.stage, s.reached) for s in funnel.steps] == [
        ("new", 5),
        ("contacted", 4),
        ("qualified", 3),
        ("proposal", 2),
        ("won", 2),
    ]
    assert [s.conversion for s in funnel.steps] == [None, 0.8, 0.75, pytest.approx(2 / 3), 1.0]
    assert (funnel.open, funnel.won, funnel.lost, funnel.disqualified) == (2, 2, 1, 0)
    # Per manager by who holds the lead now: the reassigned lead 3 is Boris's.
    assert report.managers[A].funnel.leads == 2 and report.managers[A].funnel.won == 2
    by_b = report.managers[B].funnel
    assert (by_b.leads, by_b.lost, by_b.open) == (2, 1, 1)
    assert [s.reached for s in by_b.steps] == [2, 2, 1, 0, 0]
    assert report.managers[None].funnel.leads == 1  # the queued one


def test_first_response_team_is_the_customers_wait_per_manager_his_own(report) -> None:  # type: ignore[no-untyped-def]
    team = report.team.first_response
    # 5, 10, 20, 40 and 70 minutes (lead 3 waited for the reassignment).
    assert team.count == 5
    assert team.median == 1200 and team.p90 == 3480 and team.mean == 1740
    anna = report.managers[A].first_response
    assert (anna.count, anna.median, anna.p90) == (3, 600, 2040)
    # Boris: 15 min from his offer on lead 2, 10 min from the reassignment on lead 3.
    boris = report.managers[B].first_response
    assert (boris.count, boris.median, boris.p90) == (2, 750, 870)


def test_offers_and_accept_time(report) -> None:  # type: ignore[no-untyped-def]
    anna = report.managers[A].offers
    # Lead 6 was offered the day before but accepted today.
    assert (anna.offered, anna.accepted, anna.declined, anna.expired) == (4, 4, 0, 1)
    assert anna.accept_time.median == 150 and anna.accept_time.p90 == 684
    boris = report.managers[B].offers
    assert (boris.offered, boris.accepted, boris.accept_time.median) == (1, 1, 120)
    assert report.team.offers.accept_time.median == 120


def test_time_in_stage_counts_stages_left_in_the_period(report) -> None:  # type: ignore[no-untyped-def]
    times = dict(report.team.time_in_stage)
    assert times["new"].count == 4 and times["new"].median == 1350
    # Lead 4 was in "contacted" twice: before the loss and after the reopening.
    contacted = times["contacted"]
    assert contacted.count == 5 and sorted([600, 1500, 1800, 3600, 7200])[2] == contacted.median
    assert times["qualified"].count == 1 and times["qualified"].median == 3600
    assert "proposal" not in times
    assert dict(report.team.in_stage_now) == {"new": 2, "qualified": 1}


def test_sla_compliance_and_breaches_go_to_who_held_the_lead(report) -> None:  # type: ignore[no-untyped-def]
    sla = report.team.sla
    assert (sla.first_response.met, sla.first_response.breached) == (3, 3)
    assert (sla.stages.met, sla.stages.breached) == (1, 1)
    assert sla.overall.rate == pytest.approx(4 / 8)
    assert [(b.lead_id, b.kind, b.manager_id) for b in sla.breaches] == [
        (6, "first_response", A),
        (3, "first_response", A),  # Anna held it when the 30 minutes ran out
        (3, "qualified", B),
        (5, "first_response", None),
    ]
    anna, boris = report.managers[A].sla, report.managers[B].sla
    assert (anna.first_response.met, anna.first_response.breached, anna.stages.met) == (2, 2, 1)
    assert (boris.first_response.met, boris.stages.breached) == (1, 1)


def test_won_and_lost_with_reasons_and_a_reopened_lead(report) -> None:  # type: ignore[no-untyped-def]
    outcomes = report.team.outcomes
    assert (outcomes.won, outcomes.lost, outcomes.disqualified) == (2, 1, 0)
    assert outcomes.reasons == (("price", 1),)
    assert report.managers[A].outcomes.won == 2
    assert report.managers[B].outcomes.lost == 1
    # Looked at over the hour in which lead 4 was lost, the loss (with its typed reason)
    # counts, since the lead was still lost when that period ended.
    hour = period_between(DAY, DAY, ZoneInfo("UTC"))
    lost_hour = type(hour)("dates", DAY, DAY, at(13), at(14))
    early = build_report(lost_hour, NOW, LEADS, targets=TARGETS)
    assert early.team.outcomes.lost == 1 and early.team.outcomes.reasons == (("too expensive", 1),)
    assert early.team.outcomes.won == 0
    assert hour.contains(at(13))


def test_surveys_and_complaints(report) -> None:  # type: ignore[no-untyped-def]
    assert (report.team.surveys.answered, report.team.surveys.average) == (2, 3.5)
    assert report.managers[A].surveys.average == 5.0
    assert report.managers[B].surveys.average == 2.0
    complaints = report.team.complaints
    assert (complaints.new, complaints.open, complaints.overdue, complaints.resolved) == (
        3,
        2,
        1,
        1,
    )
    assert complaints.overdue_ids == (1,)


def test_a_managers_own_report_holds_only_his_numbers() -> None:
    period = period_between(DAY, DAY, ZoneInfo("UTC"))
    mine = build_report(
        period,
        NOW,
        LEADS,
        targets=TARGETS,
        surveys=SURVEYS,
        complaints=COMPLAINTS,
        names={A: "Anna", B: "Boris"},
        manager_id=B,
    )
    assert set(mine.managers) == {B}
    assert mine.team.leads == 2 and mine.team.first_response.median == 750
    assert mine.team.sla.breaches[0].lead_id == 3 and len(mine.team.sla.breaches) == 1
    assert (mine.team.outcomes.lost, mine.team.outcomes.won) == (1, 0)
    assert mine.team.complaints.overdue_ids == (1,)
    assert mine.team.surveys.average == 2.0


def test_replay_follows_holders_and_stages() -> None:
    history = replay(LEADS[2])
    assert [(h.manager_id, h.start, h.end) for h in history.holdings] == [
        (A, at(11), at(12)),
        (B, at(12), None),
    ]
    assert history.owner == B and history.holder_at(at(11, 30)) == A
    assert history.first_response_at == at(12, 10) and history.first_responder == B
    reopened = replay(LEADS[3])
    assert [v.stage for v in reopened.visits] == ["new", "contacted", "lost", "contacted", "won"]
    assert reopened.furthest_stage() == 4


def test_nothing_to_report_is_zeros_not_errors() -> None:
    period = period_between(DAY, DAY, ZoneInfo("UTC"))
    empty = build_report(period, NOW, [], targets=TARGETS)
    assert empty.team.leads == 0 and empty.team.first_response.median is None
    assert empty.team.funnel.win_rate is None and empty.team.sla.overall.rate is None
    assert [s.reached for s in empty.team.funnel.steps] == [0, 0, 0, 0, 0]


def test_periods_in_the_company_time_zone() -> None:
    moscow = ZoneInfo("Europe/Moscow")
    wednesday = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
    today = period_named("today", wednesday, moscow)
    assert today.start == datetime(2026, 1, 6, 21, 0, tzinfo=UTC)
    assert today.end - today.start == timedelta(days=1)
    week = period_named("week", wednesday, moscow)
    assert week.first_day == date(2026, 1, 5) and week.last_day == date(2026, 1, 11)
    month = period_named("month", wednesday, moscow)
    assert (month.first_day, month.last_day) == (date(2026, 1, 1), date(2026, 1, 31))
    assert period_named("yesterday", wednesday, moscow).first_day == date(2026, 1, 6)
    # Late evening in UTC is already tomorrow in Moscow.
    assert period_named("today", datetime(2026, 1, 7, 22, 0, tzinfo=UTC), moscow).first_day == date(
        2026, 1, 8
    )
    # The day the clocks go forward is 23 hours long.
    berlin = period_between(date(2026, 3, 29), date(2026, 3, 29), ZoneInfo("Europe/Berlin"))
    assert berlin.end - berlin.start == timedelta(hours=23)
    given = parse_period(None, "2026-02-01", "2026-02-03", wednesday, moscow)
    assert (given.name, given.first_day, given.last_day) == (
        "dates",
        date(2026, 2, 1),
        date(2026, 2, 3),
    )


@pytest.mark.parametrize(
    ("name", "first", "last", "problem"),
    [
        ("fortnight", None, None, "unknown period"),
        (None, "2026-13-01", None, "YYYY-MM-DD"),
        (None, "2026-02-03", "2026-02-01", "before"),
        (None, "2024-01-01", "2026-01-01", "366"),
    ],
)
def test_bad_periods_say_what_is_expected(
    name: str | None, first: str | None, last: str | None, problem: str
) -> None:
    with pytest.raises(PeriodError, match=problem):
        parse_period(name, first, last, NOW, ZoneInfo("UTC"))


def test_quantiles_interpolate_between_ranks() -> None:
    assert quantile([], 0.5) is None
    assert quantile([7.0], 0.9) == 7.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0], 0.9) == 91.0
