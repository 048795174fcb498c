"""A report as JSON, for the API and the dashboard: durations in seconds, rates rounded
to four places, and managers in the same order as in chat and CSV."""

from __future__ import annotations

from typing import Any

from domain.money import to_major
from domain.reporting.report import Report, Section, manager_order
from domain.reporting.statistics import Compliance, Revenue, Stats


def _stats_json(value: Stats) -> dict[str, Any]:
    return {
        "count": value.count,
        "median_seconds": value.median,
        "p90_seconds": value.p90,
        "mean_seconds": value.mean,
    }


def _compliance_json(value: Compliance) -> dict[str, Any]:
    rate = value.rate
    return {
        "met": value.met,
        "breached": value.breached,
        "rate": None if rate is None else round(rate, 4),
    }


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _revenue_json(revenue: Revenue, currency: str) -> dict[str, Any]:
    """Amounts in major units (150000.5), as the API's lead `amount`."""
    average = revenue.average
    return {
        "currency": currency,
        "total": to_major(revenue.total, currency),
        "deals": revenue.deals,
        "without_amount": revenue.without_amount,
        "average": None if average is None else to_major(average, currency),
        "by_source": {name: to_major(value, currency) for name, value in revenue.by_source},
    }


def section_json(section: Section, currency: str = "RUB") -> dict[str, Any]:
    funnel = section.funnel
    return {
        "leads": section.leads,
        "by_channel": dict(section.by_channel),
        "by_source": dict(section.by_source),
        "funnel": {
            "leads": funnel.leads,
            "steps": [
                {"stage": s.stage, "reached": s.reached, "conversion": _ratio(s.conversion)}
                for s in funnel.steps
            ],
            "open": funnel.open,
            "won": funnel.won,
            "lost": funnel.lost,
            "disqualified": funnel.disqualified,
            "win_rate": _ratio(funnel.win_rate),
        },
        "first_response": _stats_json(section.first_response),
        "offers": {
            "offered": section.offers.offered,
            "accepted": section.offers.accepted,
            "declined": section.offers.declined,
            "expired": section.offers.expired,
            "accept_time": _stats_json(section.offers.accept_time),
        },
        "time_in_stage": {stage: _stats_json(value) for stage, value in section.time_in_stage},
        "in_stage_now": dict(section.in_stage_now),
        "sla": {
            "first_response": _compliance_json(section.sla.first_response),
            "stages": _compliance_json(section.sla.stages),
            "overall": _compliance_json(section.sla.overall),
            "breaches": [
                {
                    "lead_id": b.lead_id,
                    "kind": b.kind,
                    "due_at": b.due_at.isoformat(),
                    "manager_id": b.manager_id,
                }
                for b in section.sla.breaches
            ],
        },
        "outcomes": {
            "won": section.outcomes.won,
            "lost": section.outcomes.lost,
            "disqualified": section.outcomes.disqualified,
            "reasons": [{"reason": r, "count": n} for r, n in section.outcomes.reasons],
        },
        "revenue": _revenue_json(section.revenue, currency),
        "surveys": {"answered": section.surveys.answered, "average": section.surveys.average},
        "complaints": {
            "new": section.complaints.new,
            "open": section.complaints.open,
            "overdue": section.complaints.overdue,
            "resolved": section.complaints.resolved,
            "overdue_ids": list(section.complaints.overdue_ids),
        },
    }


def report_json(report: Report, timezone: str) -> dict[str, Any]:
    period = report.period
    return {
        "period": {
            "name": period.name,
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "timezone": timezone,
        },
        "generated_at": report.generated_at.isoformat(),
        "manager_id": report.scope_manager_id,
        "currency": report.currency,
        "team": section_json(report.team, report.currency),
        "started_no_question": report.started_no_question,
        "gate_skips": [
            {"manager_id": manager, "name": report.name(manager), "count": count}
            for manager, count in report.gate_skips
        ],
        "managers": [
            {
                "manager_id": manager,
                "name": report.name(manager) if manager is not None else None,
                **section_json(report.managers[manager], report.currency),
            }
            for manager in manager_order(report)
        ],
    }
