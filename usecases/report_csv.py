"""Reports as CSV for spreadsheets: a row for the team (or the manager himself) and one
per manager, with the same columns from the dashboard and the API."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from domain.money import to_major
from domain.reporting.report import Report, Section, manager_order
from texts.dashboard import dashboard_text
from usecases.spreadsheet import spreadsheet_csv

CSV_COLUMNS = (
    "scope",
    "manager_id",
    "name",
    "leads",
    "won",
    "lost",
    "disqualified",
    "first_response_count",
    "first_response_median_seconds",
    "first_response_p90_seconds",
    "offers",
    "accepted",
    "declined",
    "expired",
    "accept_median_seconds",
    "sla_met",
    "sla_breached",
    "sla_rate",
    "survey_answers",
    "survey_average",
    "complaints_open",
    "complaints_overdue",
    "complaints_resolved",
    "revenue",
    "deals_with_amount",
    "deals_without_amount",
    "average_deal",
    "currency",
)


def _csv_row(
    scope: str, manager_id: int | None, name: str, section: Section, currency: str
) -> list[Any]:
    sla = section.sla.overall
    revenue = section.revenue
    return [
        scope,
        "" if manager_id is None else manager_id,
        name,
        section.leads,
        section.outcomes.won,
        section.outcomes.lost,
        section.outcomes.disqualified,
        section.first_response.count,
        section.first_response.median,
        section.first_response.p90,
        section.offers.offered,
        section.offers.accepted,
        section.offers.declined,
        section.offers.expired,
        section.offers.accept_time.median,
        sla.met,
        sla.breached,
        None if sla.rate is None else round(sla.rate, 4),
        section.surveys.answered,
        section.surveys.average,
        section.complaints.open,
        section.complaints.overdue,
        section.complaints.resolved,
        to_major(revenue.total, currency),
        revenue.deals,
        revenue.without_amount,
        None if revenue.average is None else to_major(revenue.average, currency),
        currency,
    ]


def report_csv(report: Report, *, language: str, zone: ZoneInfo) -> str:
    """One row for the team (or the manager himself), one per manager: spreadsheet-ready
    (usecases.spreadsheet), headers in `language`."""
    scope = "manager" if report.scope_manager_id is not None else "team"
    rows = [_csv_row(scope, None, "", report.team, report.currency)]
    if report.scope_manager_id is None:
        for manager in manager_order(report):
            name = report.name(manager) if manager is not None else ""
            section = report.managers[manager]
            rows.append(_csv_row("manager", manager, name, section, report.currency))
    for row in rows:
        row[0] = dashboard_text(language, f"csv_scope_{row[0]}")
    return spreadsheet_csv(CSV_COLUMNS, rows, language=language, zone=zone)
