"""Special terms in the reports: per manager, the terms granted in the period and how
many were declined. /report and the heads' digest both take these lines."""

from __future__ import annotations

from domain.reporting.report import Report
from texts import Safe, Texts
from usecases.terms_text import term_text


def terms_lines(texts: Texts, language: str, report: Report) -> list[str]:
    """«💸 Особые условия по менеджерам:» and a line each; nothing when none was answered."""
    if not report.special_terms:
        return []
    lines: list[str] = [texts.get("report_terms_header", language)]
    for item in report.special_terms:
        granted = ", ".join(
            term_text(texts, language, kind, value)
            for kind, values in item.granted
            for value in values
        )
        declined = (
            texts.plural("report_terms_declined", language, item.declined) if item.declined else ""
        )
        nothing = texts.get("report_terms_nothing_granted", language)
        name = report.name(item.manager_id) if item.manager_id is not None else "—"
        lines.append(
            texts.get(
                "report_terms_line",
                language,
                name=name,
                granted=Safe(granted) if granted else nothing,
                declined=declined,
            )
        )
    return lines
