"""The web dashboard under /dashboard/: server-rendered pages (Jinja2), no JavaScript.

Every page but the sign-in asks for a signed-in session; every form carries a CSRF token
bound to the session. Handlers only parse, call a use case and render.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from app.texts import DASHBOARD_TEXTS, dashboard_text
from domain.language import language_of
from domain.pipeline import LeadStatus
from domain.reporting.serialise import report_json
from handlers.http.api import CTX
from handlers.http.dashboard_auth import COOKIE, DashboardAuth, Session, same_origin
from handlers.http.reports_api import csv_response
from usecases import complaints as complaint_cases
from usecases.assignment import Verdict
from usecases.charts import chart_png
from usecases.context import AppContext
from usecases.dashboard import (
    LeadFilter,
    lead_page,
    leads_csv,
    leads_page,
    staff_choices,
    team_page,
)
from usecases.report_csv import report_csv
from usecases.report_load import PeriodError, load_report, period_of
from usecases.spans import format_seconds

AUTH = web.AppKey("dashboard_auth", DashboardAuth)
TEMPLATES = web.AppKey("dashboard_templates", jinja2.Environment)
SESSION = web.RequestKey("dashboard_session", Session)
FORM = web.RequestKey("dashboard_form", MultiDictProxy)  # type: ignore[type-arg]
LANG_COOKIE = "lk_lang"
LANGUAGES = ("ru", "en")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HEADERS = {
    # No scripts at all; styles inline in the page; forms only post back here.
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class BadInput(ValueError):
    pass


# ---------------------------------------------------------------- rendering


def request_language(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return language_of(request.headers.get("Accept-Language", ""))


def _ctx(request: web.Request) -> AppContext:
    return request.app[CTX]


def _secure(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    ctx = _ctx(request)
    language = request_language(request)
    zone = ZoneInfo(ctx.config.company.timezone)
    auth = request.app.get(AUTH)
    session: Session | None = request.get(SESSION)

    def when(moment: datetime | str | None) -> str:
        if moment is None:
            return "—"
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return f"{moment.astimezone(zone):%d.%m.%Y %H:%M}"

    def span(seconds: float | None) -> str:
        return format_seconds(ctx.texts, seconds, language)

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    context = {
        "lang": language,
        "t": functools.partial(dashboard_text, language),
        "stage": lambda status: str(ctx.texts.get(f"stage_{status}", language)),
        "when": when,
        "span": span,
        "percent": percent,
        "csrf": auth.csrf_token(session) if auth is not None and session is not None else "",
        "signed_in": bool(session and session.signed_in),
        "path": request.path_qs,
        "lang_link": lambda to: (
            "/dashboard/lang/" + to + "?" + urlencode({"next": request.path_qs})
        ),
        **values,
    }
    body = request.app[TEMPLATES].get_template(template).render(context)
    response = web.Response(text=body, content_type="text/html", charset="utf-8", status=status)
    _secure(response)
    return response


def message_page(request: web.Request, status: int, key: str, **params: Any) -> web.Response:
    text = dashboard_text(request_language(request), key, **params)
    return render(request, "message.html", status=status, message=text)


def redirect(location: str) -> web.Response:
    response = web.Response(status=303, headers={"Location": location})
    _secure(response)
    return response


def _local_path(value: str | None) -> str:
    """Only a path on this dashboard: never an open redirect to another site."""
    if (
        value
        and value.startswith("/dashboard")
        and not value.startswith("//")
        and "\\" not in value
    ):
        return value
    return "/dashboard/leads"


# ---------------------------------------------------------------- sign-in


def signed_in(handler: Handler) -> Handler:
    """Pages for signed-in users only; a POST must also carry the session's CSRF token."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        auth = request.app.get(AUTH)
        if auth is None:
            return message_page(request, 503, "off")
        session = auth.session_of(request)
        if session is None or not session.signed_in:
            if request.method == "GET":
                return redirect("/dashboard/login?" + urlencode({"next": request.path_qs}))
            return message_page(request, 403, "csrf_failed")
        request[SESSION] = session
        if request.method == "POST":
            form = await request.post()
            if not same_origin(request) or not auth.csrf_ok(session, _field(form, "csrf")):
                return message_page(request, 403, "csrf_failed")
            request[FORM] = form
        return await handler(request)

    return guarded


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


async def login_form(request: web.Request) -> web.StreamResponse:
    auth = request.app.get(AUTH)
    if auth is None:
        return message_page(request, 503, "off")
    session = auth.session_of(request)
    if session is not None and session.signed_in:
        return redirect(_local_path(request.query.get("next")))
    fresh = session or auth.new_session(signed_in=False)
    request[SESSION] = fresh
    response = render(request, "login.html", next=_local_path(request.query.get("next")))
    if session is None:
        auth.set_cookie(request, response, fresh)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    auth = request.app.get(AUTH)
    if auth is None:
        return message_page(request, 503, "off")
    session = auth.session_of(request)
    form = await request.post()
    if not same_origin(request) or not auth.csrf_ok(session, _field(form, "csrf")):
        return message_page(request, 403, "csrf_failed")
    assert session is not None
    request[SESSION] = session
    address = request.remote or "?"
    target = _local_path(_field(form, "next"))
    if auth.too_many_failures(address):
        return render(request, "login.html", status=429, error="too_many", next=target)
    password = _field(form, "password") or ""
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
    response = redirect(_local_path(request.query.get("next")))
    if language in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, language, max_age=365 * 86400, path="/dashboard", samesite="Lax"
        )
    return response


async def home(request: web.Request) -> web.StreamResponse:
    return redirect("/dashboard/leads")


# ---------------------------------------------------------------- leads


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{name}: expected YYYY-MM-DD") from None


def _whole(value: str | None, name: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise BadInput(f"{name}: expected a whole number {low}..{high}")
    return int(value)


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
        manager_id=_whole(query.get("manager"), "manager", 1, 2**31),
        text=text,
        first_day=_date(query.get("from"), "from"),
        last_day=_date(query.get("to"), "to"),
        open_only=query.get("open") == "1",
        page=_whole(query.get("page"), "page", 1, 10**6) or 1,
    )


@signed_in
async def leads(request: web.Request) -> web.StreamResponse:
    try:
        filters = _lead_filter(request.query)
    except BadInput as problem:
        return message_page(request, 400, "bad_request", reason=str(problem))
    data = await leads_page(_ctx(request), filters)
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
    return _secure(csv_response(await leads_csv(_ctx(request), filters), "leads.csv"))


@signed_in
async def lead(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["lead_id"]
    if not raw.isdigit() or int(raw) > 2**62:
        return message_page(request, 400, "bad_request", reason="lead id: a whole number")
    details = await lead_page(_ctx(request), int(raw))
    if details is None:
        return message_page(request, 404, "not_found")
    return render(request, "lead.html", lead=details)


# ---------------------------------------------------------------- complaints


@signed_in
async def complaints(request: web.Request) -> web.StreamResponse:
    open_only = request.query.get("all") != "1"
    items = await complaint_cases.list_complaints(_ctx(request), open_only)
    language = request_language(request)
    for item in items:
        key = f"complaint_status_{item['status']}"
        known = key in DASHBOARD_TEXTS[language]
        item["status_label"] = dashboard_text(language, key) if known else item["status"]
    staff = await staff_choices(_ctx(request))
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
    raw = request.match_info["complaint_id"]
    return int(raw) if raw.isdigit() and int(raw) < 2**31 else None


def _after(complaint_id: int, verdict: Verdict, done: str) -> web.Response:
    outcome = done if verdict is Verdict.DONE else "stale"
    return redirect(f"/dashboard/complaints?done={outcome}&id={complaint_id}")


@signed_in
async def assign_complaint(request: web.Request) -> web.StreamResponse:
    complaint_id = _complaint_id(request)
    owner = _field(request[FORM], "owner") or ""
    if complaint_id is None or not owner.isdigit():
        return message_page(request, 400, "bad_request", reason="complaint and owner: numbers")
    verdict = await complaint_cases.assign_complaint(_ctx(request), complaint_id, int(owner), None)
    return _after(complaint_id, verdict, "assigned_done")


@signed_in
async def resolve_complaint(request: web.Request) -> web.StreamResponse:
    complaint_id = _complaint_id(request)
    resolution = (_field(request[FORM], "resolution") or "").strip()
    if complaint_id is None:
        return message_page(request, 400, "bad_request", reason="complaint id: a number")
    if not resolution or len(resolution) > 2000:
        reason = dashboard_text(request_language(request), "resolution_needed")
        return message_page(request, 400, "bad_request", reason=reason)
    verdict = await complaint_cases.resolve_complaint(_ctx(request), complaint_id, None, resolution)
    return _after(complaint_id, verdict, "resolved_done")


# ---------------------------------------------------------------- team and reports


@signed_in
async def team(request: web.Request) -> web.StreamResponse:
    return render(request, "team.html", team=await team_page(_ctx(request)))


def _report_query(request: web.Request) -> tuple[Any, int | None]:
    query = request.query
    try:
        period = period_of(
            _ctx(request), query.get("period") or None, query.get("from"), query.get("to")
        )
    except PeriodError as problem:
        raise BadInput(f"period: {problem}") from None
    return period, _whole(query.get("manager"), "manager", 1, 2**31)


@signed_in
async def reports(request: web.Request) -> web.StreamResponse:
    try:
        period, manager_id = _report_query(request)
    except BadInput as problem:
        return message_page(request, 400, "bad_request", reason=str(problem))
    ctx = _ctx(request)
    report = await load_report(ctx, period, manager_id=manager_id)
    query = urlencode({k: v for k, v in request.query.items() if v})
    return render(
        request,
        "reports.html",
        report=report_json(report, ctx.config.company.timezone),
        period=period,
        manager_id=manager_id,
        staff=await staff_choices(ctx),
        chosen=request.query.get("period") or ("dates" if request.query.get("from") else "today"),
        manager_names={m_id: name for m_id, name in await staff_choices(ctx)},
        chart_link="/dashboard/reports/chart.png?" + query,
        csv_link="/dashboard/reports.csv?" + query,
    )


@signed_in
async def report_chart(request: web.Request) -> web.StreamResponse:
    try:
        period, manager_id = _report_query(request)
    except BadInput as problem:
        return message_page(request, 400, "bad_request", reason=str(problem))
    ctx = _ctx(request)
    report = await load_report(ctx, period, manager_id=manager_id)
    png = await asyncio.to_thread(chart_png, report, ctx.texts, request_language(request))
    return _secure(web.Response(body=png, content_type="image/png"))


@signed_in
async def report_export(request: web.Request) -> web.StreamResponse:
    try:
        period, manager_id = _report_query(request)
    except BadInput as problem:
        return message_page(request, 400, "bad_request", reason=str(problem))
    report = await load_report(_ctx(request), period, manager_id=manager_id)
    name = f"report-{period.first_day}-{period.last_day}.csv"
    return _secure(csv_response(report_csv(report), name))


# ---------------------------------------------------------------- wiring


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
    routes.add_get("/dashboard/complaints", complaints)
    routes.add_post("/dashboard/complaints/{complaint_id}/assign", assign_complaint)
    routes.add_post("/dashboard/complaints/{complaint_id}/resolve", resolve_complaint)
    routes.add_get("/dashboard/team", team)
    routes.add_get("/dashboard/reports", reports)
    routes.add_get("/dashboard/reports/chart.png", report_chart)
    routes.add_get("/dashboard/reports.csv", report_export)
