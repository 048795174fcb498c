"""Reports as chat text in the reader's language: a section's numbers a line each, and the
short /report version. /report and the heads' digest share these lines, so the two
never word the same number differently."""

from __future__ import annotations

import functools
from collections.abc import Callable

from domain.reporting.periods import Period
from domain.reporting.report import Report, Section, manager_order
from domain.reporting.statistics import Stats
from texts import Safe, Texts
from usecases.labels import channel_label, reason_label, source_label
from usecases.report_gates import skip_lines
from usecases.report_money import revenue_by_manager_lines, revenue_lines
from usecases.report_terms import terms_lines
from usecases.spans import format_seconds as _span


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _pairs(
    pairs: tuple[tuple[str, int], ...],
    limit: int = 6,
    label: Callable[[str], str] = lambda name: name or "—",
) -> str:
    """«Telegram 3, ВКонтакте 1»: each code as `label` names it for the reader."""
    return ", ".join(f"{label(name)} {count}" for name, count in pairs[:limit])


def period_words(texts: Texts, language: str, period: Period) -> tuple[Safe, str]:
    """('this week', '05.01–11.01.2026') for titles."""
    name = texts.get(f"period_{period.name}", language)
    if period.first_day == period.last_day:
        return name, f"{period.first_day:%d.%m.%Y}"
    return name, f"{period.first_day:%d.%m}–{period.last_day:%d.%m.%Y}"


def _stats_line(texts: Texts, language: str, stats: Stats) -> Safe:
    return texts.get(
        "report_first_response",
        language,
        median=_span(texts, stats.median, language),
        p90=_span(texts, stats.p90, language),
        count=stats.count,
    )


def section_lines(texts: Texts, language: str, team: Section, currency: str) -> list[str]:
    """The numbers of one section, a line each, as /report and the digest show them;
    amounts in `currency`."""
    channel = functools.partial(channel_label, texts, language)
    channels = f" ({_pairs(team.by_channel, label=channel)})" if team.by_channel else ""
    steps = " → ".join(
        f"{texts.get(f'stage_{step.stage}', language)} {step.reached}"
        + (f" ({step.conversion:.0%})" if step.conversion is not None else "")
        for step in team.funnel.steps
    )
    sla = team.sla.overall
    source = functools.partial(source_label, texts, language)
    lines: list[str] = [texts.get("report_leads", language, total=team.leads, channels=channels)]
    if team.by_source:
        lines.append(
            texts.get("report_sources", language, sources=_pairs(team.by_source, label=source))
        )
    lines.append(texts.get("report_funnel", language, steps=steps))
    outcomes = team.outcomes
    reason = functools.partial(reason_label, texts, language)
    lines.append(
        texts.get(
            "report_outcomes",
            language,
            won=outcomes.won,
            lost=outcomes.lost,
            disqualified=outcomes.disqualified,
        )
    )
    if outcomes.reasons:
        lines.append(
            texts.get("report_reasons", language, reasons=_pairs(outcomes.reasons, label=reason))
        )
    lines += revenue_lines(texts, language, team.revenue, currency)
    lines.append(_stats_line(texts, language, team.first_response))
    if team.offers.offered or team.offers.accepted:
        lines.append(
            texts.get(
                "report_accept",
                language,
                median=_span(texts, team.offers.accept_time.median, language),
                offered=team.offers.offered,
                declined=team.offers.declined,
                expired=team.offers.expired,
            )
        )
    if team.time_in_stage:
        stages = ", ".join(
            f"{texts.get(f'stage_{stage}', language)} {_span(texts, stats.median, language)}"
            for stage, stats in team.time_in_stage
        )
        lines.append(texts.get("report_stage_time", language, stages=stages))
    lines.append(
        texts.get(
            "report_sla",
            language,
            rate=_percent(sla.rate),
            met=sla.met,
            judged=sla.met + sla.breached,
            breached=sla.breached,
        )
    )
    if team.surveys.answered and team.surveys.average is not None:
        lines.append(
            texts.get(
                "report_surveys",
                language,
                average=f"{team.surveys.average:.1f}",
                count=team.surveys.answered,
            )
        )
    complaints = team.complaints
    lines.append(
        texts.get(
            "report_complaints",
            language,
            new=complaints.new,
            open=complaints.open,
            overdue=complaints.overdue,
            resolved=complaints.resolved,
        )
    )
    return lines


def report_text(texts: Texts, language: str, report: Report) -> Safe:
    """The short chat version: the team's (or the manager's own) numbers, then a line each."""
    name, dates = period_words(texts, language, report.period)
    title = "report_title_own" if report.scope_manager_id is not None else "report_title_team"
    lines = [texts.get(title, language, period=name, dates=dates), ""]
    lines += section_lines(texts, language, report.team, report.currency)
    lines += revenue_by_manager_lines(texts, language, report)
    lines += terms_lines(texts, language, report)
    lines += skip_lines(texts, language, report)
    if report.started_no_question:
        lines.append(
            texts.get("report_started_no_question", language, count=report.started_no_question)
        )
    if report.scope_manager_id is None:
        rows = [m for m in manager_order(report) if m is not None]
        if rows:
            lines += ["", texts.get("report_managers", language)]
        for manager in rows:
            section = report.managers[manager]
            lines.append(
                texts.get(
                    "report_manager_line",
                    language,
                    name=report.name(manager),
                    leads=section.leads,
                    won=section.outcomes.won,
                    median=_span(texts, section.first_response.median, language),
                    sla=_percent(section.sla.overall.rate),
                    score="—"
                    if section.surveys.average is None
                    else f"{section.surveys.average:.1f}",
                )
            )
    return Safe("\n".join(lines))
