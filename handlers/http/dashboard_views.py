"""Dashboard pages for complaints, the team, reports and failed inbound payloads."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from domain.reporting.serialise import report_json
from domain.web_access import Power
from handlers.http import params
from handlers.http.dashboard_base import (
    FORM,
    VIEWER,
    BadInput,
    Handler,
    app_context,
    form_field,
    head_only,
    message_page,
    redirect,
    render,
    request_language,
    whole_number,
    with_security_headers,
)
from handlers.http.reports_api import csv_response
from texts import DASHBOARD_TEXTS, dashboard_text
from usecases import complaints as complaint_cases
from usecases.assignment import Verdict
from usecases.charts import chart_png
from usecases.dashboard import (
    staff_choices,
    team_page,
)
from usecases.inbox import failed_payloads, retry_failed
from usecases.report_csv import report_csv
from usecases.report_load import PeriodError, load_report, period_of
from usecases.report_quality import average_text, load_quality
from usecases.watchdog import channel_rows

# ---------------------------------------------------------------- complaints


@head_only(Power.COMPLAINTS)
async def complaints(request: web.Request) -> web.StreamResponse:
    open_only = request.query.get("all") != "1"
    items = await complaint_cases.list_complaints(app_context(request), open_only)
    language = request_language(request)
    for item in items:
        key = f"complaint_status_{item['status']}"
        known = key in DASHBOARD_TEXTS[language]
        item["status_label"] = dashboard_text(language, key) if known else item["status"]
    staff = await staff_choices(app_context(request))
    notice = None
    done, number = request.query.get("done"), request.query.get("id", "")
    if done in ("resolved_done", "assigned_done", "stale") and number.isdigit():
        notice = dashboard_text(request_language(request), done, id=number)
    return render(
        request,
        "complaints.html",
        items=items,
        staff=staff,
        names=dict(staff),
        open_only=open_only,
        notice=notice,
    )


def _complaint_id(request: web.Request) -> int | None:
    return params.id_or_none(request.match_info["complaint_id"])


def _after(complaint_id: int, verdict: Verdict, done: str) -> web.Response:
    outcome = done if verdict is Verdict.DONE else "stale"
    return redirect(f"/dashboard/complaints?done={outcome}&id={complaint_id}")


@head_only(Power.COMPLAINTS)
async def assign_complaint(request: web.Request) -> web.StreamResponse:
    complaint_id = _complaint_id(request)
    owner = params.id_or_none(form_field(request[FORM], "owner"))
    if complaint_id is None or owner is None:
        return message_page(request, 400, "bad_request", reason="complaint and owner: numbers")
    verdict = await complaint_cases.assign_complaint(
        app_context(request), complaint_id, owner, request[VIEWER].manager_id
    )
    return _after(complaint_id, verdict, "assigned_done")


@head_only(Power.COMPLAINTS)
async def resolve_complaint(request: web.Request) -> web.StreamResponse:
    complaint_id = _complaint_id(request)
    resolution = (form_field(request[FORM], "resolution") or "").strip()
    if complaint_id is None:
        return message_page(request, 400, "bad_request", reason="complaint id: a number")
    if not resolution or len(resolution) > 2000:
        reason = dashboard_text(request_language(request), "resolution_needed")
        return message_page(request, 400, "bad_request", reason=reason)
    verdict = await complaint_cases.resolve_complaint(
        app_context(request), complaint_id, request[VIEWER].manager_id, resolution
    )
    return _after(complaint_id, verdict, "resolved_done")


# ---------------------------------------------------------------- team and reports


@head_only(Power.TEAM)
async def team(request: web.Request) -> web.StreamResponse:
    ctx = app_context(request)
    channels = await channel_rows(ctx, request_language(request))
    return render(request, "team.html", team=await team_page(ctx), channels=channels)


def _report_query(request: web.Request) -> tuple[Any, int | None]:
    query = request.query
    try:
        period = period_of(
            app_context(request), query.get("period") or None, query.get("from"), query.get("to")
        )
    except PeriodError as problem:
        raise BadInput(f"period: {problem}") from None
    return period, whole_number(query.get("manager"), "manager", 1, 2**31)


ReportView = Callable[[web.Request, Any, int | None, Any], Awaitable[web.StreamResponse]]


def _report_view(view: ReportView) -> Handler:
    """The report pages share their preamble: read period and manager, load the report."""

    @head_only(Power.REPORTS)
    @functools.wraps(view)
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            period, manager_id = _report_query(request)
        except BadInput as problem:
            return message_page(request, 400, "bad_request", reason=str(problem))
        report = await load_report(app_context(request), period, manager_id=manager_id)
        return await view(request, period, manager_id, report)

    return handler


@_report_view
async def reports(
    request: web.Request, period: Any, manager_id: int | None, report: Any
) -> web.StreamResponse:
    ctx = app_context(request)
    query = urlencode({k: v for k, v in request.query.items() if v})
    staff = await staff_choices(ctx)
    return render(
        request,
        "reports.html",
        quality=await load_quality(ctx, period, report),
        average=functools.partial(average_text, request_language(request)),
        report=report_json(report, ctx.config.company.timezone),
        period=period,
        manager_id=manager_id,
        staff=staff,
        chosen=request.query.get("period") or ("dates" if request.query.get("from") else "today"),
        manager_names=dict(staff),
        chart_link="/dashboard/reports/chart.png?" + query,
        csv_link="/dashboard/reports.csv?" + query,
    )


@_report_view
async def report_chart(
    request: web.Request, period: Any, manager_id: int | None, report: Any
) -> web.StreamResponse:
    ctx = app_context(request)
    png = await asyncio.to_thread(chart_png, report, ctx.texts, request_language(request))
    return with_security_headers(web.Response(body=png, content_type="image/png"))


@_report_view
async def report_export(
    request: web.Request, period: Any, manager_id: int | None, report: Any
) -> web.StreamResponse:
    name = f"report-{period.first_day}-{period.last_day}.csv"
    language = request_language(request)
    zone = ZoneInfo(app_context(request).config.company.timezone)
    body = report_csv(report, language=language, zone=zone)
    return with_security_headers(csv_response(body, name))


# ---------------------------------------------------------------- failed inbound payloads


@head_only(Power.FAILED_INTAKE)
async def failed_inbox(request: web.Request) -> web.StreamResponse:
    items = await failed_payloads(app_context(request))
    notice = None
    requeued = request.query.get("requeued", "")
    if requeued == "none":
        notice = dashboard_text(request_language(request), "inbox_nothing")
    elif requeued and all(part.isdigit() for part in requeued.split(",")):
        ids = ", ".join(requeued.split(","))
        notice = dashboard_text(request_language(request), "inbox_requeued", ids=ids)
    return render(request, "inbox.html", items=items, notice=notice)


@head_only(Power.FAILED_INTAKE)
async def retry_inbox(request: web.Request) -> web.StreamResponse:
    raw = form_field(request[FORM], "id") or ""
    one = params.id_or_none(raw)
    if raw != "all" and one is None:
        return message_page(request, 400, "bad_request", reason="id: a whole number or all")
    requeued = await retry_failed(app_context(request), None if one is None else [one])
    # Only the first few ids in the notice: "all" may be thousands.
    shown = ",".join(str(item) for item in requeued[:20]) or "none"
    return redirect(f"/dashboard/inbox?requeued={shown}")
