"""Stage-gate skips as chat text: the moves a gate refused, per manager who tried (the
team's report and the digest), or his own count (a manager's /report). Nothing when
nobody tried."""

from __future__ import annotations

from domain.reporting.report import Report
from texts import Texts


def skip_lines(texts: Texts, language: str, report: Report) -> list[str]:
    if not report.gate_skips:
        return []
    if report.scope_manager_id is not None:
        count = sum(count for _, count in report.gate_skips)
        return [texts.get("report_gate_skips_own", language, count=count)]
    managers = ", ".join(f"{report.name(manager)} {count}" for manager, count in report.gate_skips)
    return [texts.get("report_gate_skips", language, managers=managers)]
