"""The web dashboard under /dashboard/: server-rendered pages (Jinja2). Only the board
(htmx and SortableJS) and the lead page (htmx, for its live conversation) add scripts,
from our own static files, and both work without them.

Every page but the sign-in asks for a signed-in session; every form carries a CSRF token
bound to the session; who may see and do what is domain.web_access's. Handlers only
parse, call a use case and render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from domain.pipeline import LeadStatus
from domain.web_access import lead_scope
from handlers.http import (
    dashboard_board,
    dashboard_lead,
    dashboard_login,
    dashboard_money,
    dashboard_quality,
    dashboard_steps,
)
from handlers.http.dashboard_auth import SESSION_SECONDS, DashboardAuth
from handlers.http.dashboard_base import (
    AUTH,
    TEMPLATES,
    VIEWER,
    BadInput,
    app_context,
    message_page,
    parse_date,
    redirect,
    render,
    request_language,
    signed_in,
    whole_number,
    with_security_headers,
)
from handlers.http.dashboard_views import (
    assign_complaint,
    complaints,
    failed_inbox,
    report_chart,
    report_export,
    reports,
    resolve_complaint,
    retry_inbox,
    team,
)
from handlers.http.reports_api import csv_response
from usecases.dashboard import (
    LeadFilter,
    leads_csv,
    leads_page,
)

STATIC = Path(__file__).with_name("static")


async def home(request: web.Request) -> web.StreamResponse:
    return redirect("/dashboard/leads")


# ---------------------------------------------------------------- leads


def _lead_filter(query: Any, scope: int | None) -> LeadFilter:
    status = query.get("status") or None
    if status is not None and status not in {item.value for item in LeadStatus}:
        raise BadInput("status: unknown stage")
    channel = query.get("channel") or None
    if channel is not None and len(channel) > 32:
        raise BadInput("channel: too long")
    text = (query.get("q") or "").strip() or None
    if text is not None and len(text) > 100:
        raise BadInput("q: at most 100 characters")
    return LeadFilter(
        status=status,
        channel=channel,
        manager_id=whole_number(query.get("manager"), "manager", 1, 2**31),
        text=text,
        first_day=parse_date(query.get("from"), "from"),
        last_day=parse_date(query.get("to"), "to"),
        open_only=query.get("open") == "1",
        page=whole_number(query.get("page"), "page", 1, 10**6) or 1,
        scope=scope,
    )


@signed_in
async def leads(request: web.Request) -> web.StreamResponse:
    try:
        filters = _lead_filter(request.query, lead_scope(request[VIEWER]))
    except BadInput as problem:
        return message_page(request, 400, "bad_request", reason=str(problem))
    data = await leads_page(app_context(request), filters)
    query = {k: v for k, v in request.query.items() if k != "page" and v}
    return render(
        request,
        "leads.html",
        data=data,
        filters=filters,
        query=query,
        statuses=[item.value for item in LeadStatus],
        page_link=lambda page: "/dashboard/leads?" + urlencode({**query, "page": page}),
        csv_link="/dashboard/leads.csv?" + urlencode(query),
    )


@signed_in
async def leads_export(request: web.Request) -> web.StreamResponse:
    try:
        filters = _lead_filter(request.query, lead_scope(request[VIEWER]))
    except BadInput as problem:
        return message_page(request, 400, "bad_request", reason=str(problem))
    return with_security_headers(
        csv_response(
            await leads_csv(app_context(request), filters, request_language(request)),
            "leads.csv",
        )
    )


def add_routes(
    app: web.Application,
    *,
    password: str | None,
    secret: str | None,
    session_seconds: int = SESSION_SECONDS,
) -> None:
    """The dashboard's pages. Staff sign in by a link from the bot (/web); a password,
    when set, lets the administrator in too."""
    app[AUTH] = DashboardAuth(password, secret, session_seconds)
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    routes = app.router
    routes.add_get("/dashboard", home)
    routes.add_get("/dashboard/", home)
    dashboard_login.add_routes(app)
    dashboard_board.add_routes(app)
    routes.add_get("/dashboard/leads", leads)
    routes.add_get("/dashboard/leads.csv", leads_export)
    dashboard_lead.add_routes(app)
    dashboard_steps.add_routes(app)
    dashboard_money.add_routes(app)
    routes.add_get("/dashboard/complaints", complaints)
    routes.add_post("/dashboard/complaints/{complaint_id}/assign", assign_complaint)
    routes.add_post("/dashboard/complaints/{complaint_id}/resolve", resolve_complaint)
    routes.add_get("/dashboard/team", team)
    routes.add_get("/dashboard/reports", reports)
    routes.add_get("/dashboard/reports/chart.png", report_chart)
    routes.add_get("/dashboard/reports.csv", report_export)
    dashboard_quality.add_routes(app)
    routes.add_get("/dashboard/inbox", failed_inbox)
    routes.add_post("/dashboard/inbox/retry", retry_inbox)
    # The board's scripts (vendored htmx and SortableJS, and our own board.js).
    routes.add_static("/dashboard/static", STATIC, append_version=False)
