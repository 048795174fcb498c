"""The workload as chat text in the reader's language: the team's load and how many
managers it needs («нагрузка 156 %, нужно ещё 1,1 менеджера»), each manager's load and
his actions outside the shift. A section of its own that /report and the digest append
after their other lines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.reporting.periods import Period
from texts import Safe, Texts
from usecases.context import AppContext
from usecases.spans import format_span
from usecases.workload import ManagerLoad, Workload, load_workload


def decimal_text(texts: Texts, language: str, value: Decimal) -> str:
    """3.1 as the reader writes it (3,1 in Russian); a whole number without a decimal."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(value).replace(".", texts.get("decimal_point", language))


def minutes_text(texts: Texts, language: str, minutes: float) -> str:
    if round(minutes) <= 0:
        return texts.get("minutes", language, n=0)
    return format_span(texts, timedelta(minutes=round(minutes)), language)


def _percent(texts: Texts, language: str, value: int | None) -> str:
    if value is None:
        return texts.get("workload_no_percent", language)
    return texts.get("workload_percent", language, value=value)


def _managers(texts: Texts, language: str, key: str, value: Decimal) -> Safe:
    return texts.plural(key, language, value, shown=decimal_text(texts, language, value))


def team_line(texts: Texts, language: str, workload: Workload) -> Safe | None:
    team = workload.team
    if team.capacity <= 0:
        if not team.work:
            return None
        work = minutes_text(texts, language, team.work)
        return texts.get("workload_team_no_shifts", language, work=work)
    needed, more = team.needed, team.more
    assert needed is not None and more is not None
    verdict = (
        _managers(texts, language, "workload_more", more)
        if more > 0
        else texts.get("workload_enough", language)
    )
    return texts.get(
        "workload_team",
        language,
        percent=_percent(texts, language, team.percent),
        verdict=verdict,
        work=minutes_text(texts, language, team.work),
        capacity=minutes_text(texts, language, team.capacity),
        needed=_managers(texts, language, "workload_needed", needed),
    )


def _fields(texts: Texts, language: str, row: ManagerLoad) -> dict[str, str]:
    late = texts.plural("workload_overtime", language, row.overtime) if row.overtime else ""
    return {
        "percent": _percent(texts, language, row.load.percent),
        "work": minutes_text(texts, language, row.load.work),
        "capacity": minutes_text(texts, language, row.load.capacity),
        "overtime": late,
    }


def workload_lines(
    texts: Texts, language: str, workload: Workload, *, manager_id: int | None = None
) -> list[str]:
    """The team's line and a line per manager; with `manager_id`, his own line only."""
    if manager_id is not None:
        own = workload.of(manager_id)
        if own is None:
            return []
        return [texts.get("workload_own", language, **_fields(texts, language, own))]
    lines: list[str] = []
    team = team_line(texts, language, workload)
    if team is not None:
        lines.append(team)
    rows = [
        row for row in workload.managers if row.load.capacity > 0 or row.load.work or row.overtime
    ]
    if rows:
        lines.append(texts.get("workload_managers", language))
        for row in rows:
            lines.append(
                texts.get(
                    "workload_manager_line",
                    language,
                    name=row.name,
                    **_fields(texts, language, row),
                )
            )
    return lines


async def workload_section(
    ctx: AppContext, language: str, period: Period, *, manager_id: int | None = None
) -> str:
    """The section as text to append after a report (a blank line first); "" when the
    norm is off or there is nothing to say."""
    workload = await load_workload(ctx, period)
    if workload is None:
        return ""
    lines = workload_lines(ctx.texts, language, workload, manager_id=manager_id)
    return "\n\n" + "\n".join(lines) if lines else ""
