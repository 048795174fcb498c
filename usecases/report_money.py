"""Revenue as chat text: the deals won, the average deal, revenue per source and per
manager. /report and the heads' digest both take these lines, and the dashboard formats
its amounts with the same formatter, so the three never disagree on a figure."""

from __future__ import annotations

from domain.reporting.report import Report, manager_order
from domain.reporting.statistics import Revenue
from texts import Texts
from usecases.labels import source_label
from usecases.money_text import format_money


def _amounts(texts: Texts, language: str, pairs: list[tuple[str, int]], currency: str) -> str:
    return ", ".join(
        f"{name} {format_money(texts, language, amount, currency)}" for name, amount in pairs
    )


def revenue_line(texts: Texts, language: str, revenue: Revenue, currency: str) -> str:
    unpriced = ""
    if revenue.without_amount:
        unpriced = texts.get("report_revenue_unpriced", language, count=revenue.without_amount)
    return texts.get(
        "report_revenue",
        language,
        revenue=format_money(texts, language, revenue.total, currency),
        deals=texts.plural("deals", language, revenue.deals),
        unpriced=unpriced,
        average=format_money(texts, language, revenue.average, currency),
    )


def revenue_lines(texts: Texts, language: str, revenue: Revenue, currency: str) -> list[str]:
    """A section's revenue and its sources; nothing when no deal was won."""
    if not revenue.deals and not revenue.without_amount:
        return []
    lines = [revenue_line(texts, language, revenue, currency)]
    if revenue.by_source:
        named = [(source_label(texts, language, name), n) for name, n in revenue.by_source[:6]]
        sources = _amounts(texts, language, named, currency)
        lines.append(texts.get("report_revenue_sources", language, sources=sources))
    return lines


def revenue_by_manager_lines(texts: Texts, language: str, report: Report) -> list[str]:
    """The team's revenue per manager, largest first (a manager's own report: none)."""
    if report.scope_manager_id is not None:
        return []
    managers = [
        (
            report.name(manager)
            if manager is not None
            else str(texts.get("report_nobody", language)),
            report.managers[manager].revenue.total,
        )
        for manager in manager_order(report)
        if report.managers[manager].revenue.deals
    ]
    if not managers:
        return []
    managers.sort(key=lambda pair: -pair[1])
    names = _amounts(texts, language, managers, report.currency)
    return [texts.get("report_revenue_managers", language, managers=names)]
