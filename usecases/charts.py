"""Report charts as PNG: the funnel and first response time per manager. One drawing for
the chat and the dashboard. matplotlib's Figure is used without pyplot, so there is no
global state and no GUI backend; drawing is CPU work, so callers run it in a thread."""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Literal

from domain.durations import to_minutes
from domain.reporting.report import Report, manager_order
from texts import Texts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

ChartKind = Literal["both", "funnel", "response"]

_BAR = "#3b6ea5"
_P90 = "#e0a030"
_GREY = "#888888"


def chart_png(
    report: Report, texts: Texts, language: str, kind: ChartKind = "both", dpi: int = 100
) -> bytes:
    from matplotlib.figure import Figure  # heavy import, only where a chart is drawn

    panels = ["funnel", "response"] if kind == "both" else [kind]
    figure = Figure(figsize=(7.5, 3.6 * len(panels)), dpi=dpi, layout="constrained")
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, panel in zip(axes, panels, strict=True):
        if panel == "funnel":
            _funnel(ax, report, texts, language)
        else:
            _response(ax, report, texts, language)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _label(texts: Texts, language: str, key: str, **params: object) -> str:
    # Texts are HTML for Telegram; a chart wants the plain words.
    return html.unescape(str(texts.get(key, language, **params)))


def _funnel(ax: Axes, report: Report, texts: Texts, language: str) -> None:
    steps = report.team.funnel.steps
    names = [_label(texts, language, f"stage_{step.stage}") for step in steps]
    counts = [step.reached for step in steps]
    positions = list(range(len(steps)))[::-1]
    ax.barh(positions, counts, color=_BAR)
    ax.set_yticks(positions, names)
    top = max(counts, default=0)
    for position, step in zip(positions, steps, strict=True):
        share = f" ({step.conversion:.0%})" if step.conversion is not None else ""
        ax.text(step.reached + top * 0.01, position, f"{step.reached}{share}", va="center")
    ax.set_xlim(0, max(1, top) * 1.25)
    ax.set_title(_label(texts, language, "chart_funnel"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _response(ax: Axes, report: Report, texts: Texts, language: str) -> None:
    rows: list[tuple[str, float, float]] = []
    for manager in manager_order(report):
        if manager is None:
            continue
        stats = report.managers[manager].first_response
        if stats.median is not None and stats.p90 is not None:
            rows.append((report.name(manager), to_minutes(stats.median), to_minutes(stats.p90)))
    team = report.team.first_response
    if report.scope_manager_id is None and team.median is not None and team.p90 is not None:
        name = _label(texts, language, "chart_team")
        rows.append((name, to_minutes(team.median), to_minutes(team.p90)))
    ax.set_title(_label(texts, language, "chart_response"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not rows:
        ax.text(0.5, 0.5, _label(texts, language, "chart_no_data"), ha="center", color=_GREY)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    positions = list(range(len(rows)))[::-1]
    height = 0.38
    medians = [row[1] for row in rows]
    p90s = [row[2] for row in rows]
    ax.barh(
        [p + height / 2 for p in positions],
        medians,
        height,
        color=_BAR,
        label=_label(texts, language, "chart_median"),
    )
    ax.barh(
        [p - height / 2 for p in positions],
        p90s,
        height,
        color=_P90,
        label=_label(texts, language, "chart_p90"),
    )
    ax.set_yticks(positions, [row[0] for row in rows])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=2, frameon=False)
