"""GET /api/reports[...]: the report numbers as JSON (or CSV), the same as in chat and on
the dashboard. Behind the API's bearer token like the rest of /api/."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from channels.web import json_error, json_response
from domain.language import language_of
from handlers.http import params
from handlers.http.api import CTX
from usecases.queries import manager_exists
from usecases.report_csv import report_csv
from usecases.report_load import PeriodError, load_report, period_of, report_as_json

# Each section names the keys of the full report it keeps.
SECTIONS: dict[str, tuple[str, ...]] = {
    "channels": ("leads", "by_channel", "by_source"),
    "funnel": ("funnel",),
    "first-response": ("first_response",),
    "offers": ("offers",),
    "stages": ("time_in_stage", "in_stage_now"),
    "sla": ("sla",),
    "outcomes": ("outcomes",),
    "revenue": ("revenue",),
    "surveys": ("surveys",),
    "complaints": ("complaints",),
}


class BadQuery(ValueError):
    pass


async def _query(request: web.Request) -> tuple[Any, int | None]:
    query = request.query
    try:
        period = period_of(
            request.app[CTX], query.get("period"), query.get("from"), query.get("to")
        )
    except PeriodError as problem:
        raise BadQuery(f"period: {problem}") from None
    raw = query.get("manager_id")
    if raw in (None, ""):
        return period, None
    try:
        manager_id = params.parse_id(raw, "manager_id")
    except params.BadParameter as problem:
        raise BadQuery(str(problem)) from None
    if not await manager_exists(request.app[CTX], manager_id):
        raise web.HTTPNotFound(reason=f"manager {manager_id} not found")
    return period, manager_id


async def get_report(request: web.Request) -> web.Response:
    try:
        period, manager_id = await _query(request)
    except BadQuery as problem:
        return json_error(400, str(problem))
    except web.HTTPNotFound as missing:
        return json_error(404, missing.reason)
    data = await report_as_json(request.app[CTX], period, manager_id=manager_id)
    section = request.match_info.get("section")
    if section is None:
        return json_response(data)
    keys = SECTIONS.get(section)
    if keys is None:
        return json_error(404, f"no report section {section!r}; there are: {', '.join(SECTIONS)}")
    return json_response(
        {
            "period": data["period"],
            "generated_at": data["generated_at"],
            "manager_id": data["manager_id"],
            "team": {key: data["team"][key] for key in keys},
            "managers": [
                {
                    "manager_id": row["manager_id"],
                    "name": row["name"],
                    **{key: row[key] for key in keys},
                }
                for row in data["managers"]
            ],
        }
    )


async def get_report_csv(request: web.Request) -> web.Response:
    try:
        period, manager_id = await _query(request)
    except BadQuery as problem:
        return json_error(400, str(problem))
    except web.HTTPNotFound as missing:
        return json_error(404, missing.reason)
    ctx = request.app[CTX]
    report = await load_report(ctx, period, manager_id=manager_id)
    # For people opening it in a spreadsheet: headers in ?lang= or Accept-Language.
    language = language_of(request.query.get("lang") or request.headers.get("Accept-Language"))
    body = report_csv(report, language=language, zone=ZoneInfo(ctx.config.company.timezone))
    return csv_response(body, f"report-{period.first_day}-{period.last_day}.csv")


def csv_response(body: str, filename: str) -> web.Response:
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/reports", get_report)
    app.router.add_get("/api/reports.csv", get_report_csv)
    app.router.add_get("/api/reports/{section}", get_report)
