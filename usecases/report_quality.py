"""The quality section of the reports: each manager's grades from the head's weekly
samples beside his customers' survey scores, for the period. /report, the digest and the
dashboard's report take these, so the three show the same figures."""

from __future__ import annotations

from domain.quality import QualityRow, grade_figures, quality_rows
from domain.reporting.periods import Period
from domain.reporting.report import Report
from texts import Texts
from usecases.context import AppContext


async def load_quality(ctx: AppContext, period: Period, report: Report) -> list[QualityRow]:
    """The grades given in the period (a manager's own report: his only)."""
    async with ctx.db.uow() as uow:
        grades = await uow.quality.grades_between(period.start, period.end, report.scope_manager_id)
    surveys = {
        manager_id: (section.surveys.answered, section.surveys.average)
        for manager_id, section in report.managers.items()
        if manager_id is not None
    }
    return quality_rows(grade_figures(grades), surveys, dict(report.names))


def average_text(language: str, value: float | None) -> str:
    """4.3 in English, 4,3 in Russian; — when there is none."""
    if value is None:
        return "—"
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "ru" else text


def quality_lines(texts: Texts, language: str, rows: list[QualityRow]) -> list[str]:
    if not rows:
        return []
    lines = ["", texts.get("report_quality_title", language)]
    for row in rows:
        lines.append(
            texts.get(
                "report_quality_line",
                language,
                name=row.name,
                grade=average_text(language, row.grade),
                grades=texts.plural("quality_grades", language, row.grades),
                score=average_text(language, row.score),
                answers=texts.plural("quality_answers", language, row.answers),
            )
        )
    return lines
