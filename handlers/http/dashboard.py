"""The web dashboard under /dashboard/: server-rendered pages (Jinja2), no JavaScript.

Every page but the sign-in asks for a signed-in session; every form carries a CSRF token
bound to the session. Handlers only parse, call a use case and render.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from domain.next_steps import StepKind
from domain.pipeline import LeadStatus
from handlers.http import dashboard_money
from handlers.http.dashboard_auth import COOKIE, DashboardAuth, same_origin
from handlers.http.dashboard_base import (
    AUTH,
    FORM,
    LANG_COOKIE,
    LANGUAGES,
    SESSION,
    TEMPLATES,
    BadInput,
    app_context,
    form_field,
    local_path,
    message_page,
    parse_date,
    redirect,
    render,
    request_language,
    signed_in,
    whole_number,
    with_security_headers,
)
from handlers.http.dashboard_money import AMOUNT_SAVED
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
from texts import dashboard_text
from usecases import next_steps
from usecases.assignment import Verdict
from usecases.dashboard import (
    LeadFilter,
    lead_page,
    leads_csv,
    leads_page,
)
from usecases.step_views import kind_choices

# What a next-step form's outcome says on the lead page (?done=…).
STEP_NOTICES = (
    "next_step_saved",
    "next_step_marked",
    "next_step_refused",
    "next_step_unreadable",
    "next_step_past",
    "next_step_too_far",
)


async def login_form(request: web.Request) -> web.StreamResponse:
    auth = request.app.get(AUTH)
    if auth is None:
        return message_page(request, 503, "off")
    session = auth.session_of(request)
    if session is not None and session.signed_in:
        return redirect(local_path(request.query.get("next")))
    fresh = session or auth.new_session(signed_in=False)
    request[SESSION] = fresh
    response = render(request, "login.html", next=local_path(request.query.get("next")))
    if session is None:
        auth.set_cookie(request, response, fresh)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    auth = request.app.get(AUTH)
    if auth is None:
        return message_page(request, 503, "off")
    session = auth.session_of(request)
    form = await request.post()
    if not same_origin(request) or not auth.csrf_ok(session, form_field(form, "csrf")):
        return message_page(request, 403, "csrf_failed")
    assert session is not None
    request[SESSION] = session
    address = request.remote or "?"
    target = local_path(form_field(form, "next"))
    if auth.too_many_failures(address):
        return render(request, "login.html", status=429, error="too_many", next=target)
    password = form_field(form, "password") or ""
    # scrypt is slow on purpose: off the event loop.
    if not await asyncio.to_thread(auth.password_matches, password):
        auth.failed(address)
        return render(request, "login.html", status=401, error="wrong_password", next=target)
    auth.succeeded(address)
    response = redirect(target)
    # A new session id on sign-in: a session fixed before it is worth nothing.
    auth.set_cookie(request, response, auth.new_session(signed_in=True))
    return response


@signed_in
async def logout(request: web.Request) -> web.StreamResponse:
    response = redirect("/dashboard/login")
    response.del_cookie(COOKIE, path="/dashboard")
    return response


async def choose_language(request: web.Request) -> web.StreamResponse:
    language = request.match_info["language"]
    response = redirect(local_path(request.query.get("next")))
    if language in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, language, max_age=365 * 86400, path="/dashboard", samesite="Lax"
        )
    return response


async def home(request: web.Request) -> web.StreamResponse:
    return redirect("/dashboard/leads")


# ---------------------------------------------------------------- leads


def _lead_filter(query: Any) -> LeadFilter:
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
    )


@signed_in
async def leads(request: web.Request) -> web.StreamResponse:
    try:
        filters = _lead_filter(request.query)
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
        filters = _lead_filter(request.query)
    except BadInput as problem:
        return message_page(request, 400, "bad_request", reason=str(problem))
    return with_security_headers(
        csv_response(
            await leads_csv(app_context(request), filters, request_language(request)),
            "leads.csv",
        )
    )


def _lead_id(request: web.Request) -> int | None:
    raw = request.match_info["lead_id"]
    return int(raw) if raw.isdigit() and int(raw) <= 2**62 else None


@signed_in
async def lead(request: web.Request) -> web.StreamResponse:
    lead_id = _lead_id(request)
    if lead_id is None:
        return message_page(request, 400, "bad_request", reason="lead id: a whole number")
    details = await lead_page(app_context(request), lead_id)
    if details is None:
        return message_page(request, 404, "not_found")
    language = request_language(request)
    done = request.query.get("done")
    known = done in STEP_NOTICES or done == AMOUNT_SAVED
    notice = dashboard_text(language, done) if known else None
    kinds = kind_choices(app_context(request).texts, language)
    return render(request, "lead.html", lead=details, kinds=kinds, notice=notice)


def _back(lead_id: int, notice: str) -> web.Response:
    return redirect(f"/dashboard/leads/{lead_id}?done={notice}#next-step")


@signed_in
async def set_next_step(request: web.Request) -> web.StreamResponse:
    lead_id = _lead_id(request)
    form = request[FORM]
    when = (form_field(form, "when") or "").strip()
    kind = form_field(form, "kind") or ""
    note = (form_field(form, "note") or "").strip() or None
    if lead_id is None or kind not in {item.value for item in StepKind}:
        return message_page(request, 400, "bad_request", reason="lead id and kind")
    if not when or len(when) > 100 or (note is not None and len(note) > 500):
        return _back(lead_id, "next_step_unreadable")
    outcome = await next_steps.set_from_dashboard(
        app_context(request), lead_id, when, StepKind(kind), note
    )
    if outcome.problem is not None:
        return _back(lead_id, f"next_step_{outcome.problem.value}")
    return _back(
        lead_id, "next_step_saved" if outcome.verdict is Verdict.DONE else "next_step_refused"
    )


@signed_in
async def next_step_done(request: web.Request) -> web.StreamResponse:
    lead_id = _lead_id(request)
    if lead_id is None:
        return message_page(request, 400, "bad_request", reason="lead id: a whole number")
    verdict = await next_steps.done_from_dashboard(app_context(request), lead_id)
    return _back(lead_id, "next_step_marked" if verdict is Verdict.DONE else "next_step_refused")


def add_routes(app: web.Application, *, password: str | None, secret: str | None) -> None:
    """The dashboard's pages; without a password they say it is off, and show nothing."""
    if password:
        app[AUTH] = DashboardAuth(password, secret)
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
    routes.add_get("/dashboard/login", login_form)
    routes.add_post("/dashboard/login", login)
    routes.add_post("/dashboard/logout", logout)
    routes.add_get("/dashboard/lang/{language}", choose_language)
    routes.add_get("/dashboard/leads", leads)
    routes.add_get("/dashboard/leads.csv", leads_export)
    routes.add_get("/dashboard/leads/{lead_id}", lead)
    routes.add_post("/dashboard/leads/{lead_id}/next-step", set_next_step)
    routes.add_post("/dashboard/leads/{lead_id}/next-step/done", next_step_done)
    dashboard_money.add_routes(app)
    routes.add_get("/dashboard/complaints", complaints)
    routes.add_post("/dashboard/complaints/{complaint_id}/assign", assign_complaint)
    routes.add_post("/dashboard/complaints/{complaint_id}/resolve", resolve_complaint)
    routes.add_get("/dashboard/team", team)
    routes.add_get("/dashboard/reports", reports)
    routes.add_get("/dashboard/reports/chart.png", report_chart)
    routes.add_get("/dashboard/reports.csv", report_export)
    routes.add_get("/dashboard/inbox", failed_inbox)
    routes.add_post("/dashboard/inbox/retry", retry_inbox)
