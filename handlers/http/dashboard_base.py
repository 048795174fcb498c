"""What every dashboard page shares: app keys, rendering, sessions, redirects."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from domain.language import language_of
from domain.web_access import ADMINISTRATOR, Power, Viewer, may
from handlers.http import params
from handlers.http.api import CTX
from handlers.http.dashboard_auth import DashboardAuth, Session, same_origin
from texts import dashboard_text, delivery_state
from usecases.context import AppContext
from usecases.money_text import format_major
from usecases.spans import format_seconds
from usecases.web_logins import viewer_of

AUTH = web.AppKey("dashboard_auth", DashboardAuth)
TEMPLATES = web.AppKey("dashboard_templates", jinja2.Environment)
SESSION = web.RequestKey("dashboard_session", Session)
VIEWER = web.RequestKey("dashboard_viewer", Viewer)
log = logging.getLogger(__name__)
FORM = web.RequestKey("dashboard_form", MultiDictProxy)  # type: ignore[type-arg]
LANG_COOKIE = "lk_lang"
LANGUAGES = ("ru", "en")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HEADERS = {
    # Scripts only from our own static files (the board's htmx and SortableJS), none
    # inline; styles inline in the page; forms and requests only back here.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; "
        "style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
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


def app_context(request: web.Request) -> AppContext:
    return request.app[CTX]


def with_security_headers(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    ctx = app_context(request)
    language = request_language(request)
    zone = ZoneInfo(ctx.config.company.timezone)
    auth = request.app.get(AUTH)
    session: Session | None = request.get(SESSION)
    viewer: Viewer | None = request.get(VIEWER)

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
        "delivery": functools.partial(delivery_state, language),
        "stage": lambda status: str(ctx.texts.get(f"stage_{status}", language)),
        "when": when,
        "span": span,
        "percent": percent,
        # Amounts in major units (the API's and the report JSON's), as chat writes them.
        "money": lambda value, currency: format_major(ctx.texts, language, value, currency),
        "csrf": auth.csrf_token(session) if auth is not None and session is not None else "",
        "signed_in": viewer is not None,
        "viewer": viewer,
        "sees_everyone": viewer is not None and viewer.sees_everyone,
        "personal": viewer is not None and not viewer.is_administrator,
        "path": request.path_qs,
        "lang_link": lambda to: (
            "/dashboard/lang/" + to + "?" + urlencode({"next": request.path_qs})
        ),
        **values,
    }
    body = request.app[TEMPLATES].get_template(template).render(context)
    response = web.Response(text=body, content_type="text/html", charset="utf-8", status=status)
    with_security_headers(response)
    return response


def message_page(request: web.Request, status: int, key: str, **params: Any) -> web.Response:
    text = dashboard_text(request_language(request), key, **params)
    return render(request, "message.html", status=status, message=text)


def redirect(location: str) -> web.Response:
    response = web.Response(status=303, headers={"Location": location})
    with_security_headers(response)
    return response


def local_path(value: str | None) -> str:
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


async def viewer_of_request(request: web.Request) -> tuple[Session | None, Viewer | None]:
    """The cookie's session, and whose it is: the administrator, a staff member whose
    server-side session is alive, or nobody (none, forged, expired, revoked)."""
    session = request.app[AUTH].session_of(request)
    if session is None:
        return None, None
    if session.admin:
        return session, ADMINISTRATOR
    if session.token is not None:
        return session, await viewer_of(app_context(request), session.token)
    return session, None


def signed_in(handler: Handler) -> Handler:
    """Pages for signed-in users only; a POST must also carry the session's CSRF token."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        auth = request.app[AUTH]
        session, viewer = await viewer_of_request(request)
        if session is None or viewer is None:
            if request.method == "GET":
                return redirect("/dashboard/login?" + urlencode({"next": request.path_qs}))
            return message_page(request, 403, "csrf_failed")
        request[SESSION] = session
        request[VIEWER] = viewer
        if request.method == "POST":
            form = await read_form(request)
            if form is None:
                return message_page(request, 400, "form_unreadable")
            if not same_origin(request) or not auth.csrf_ok(session, form_field(form, "csrf")):
                return message_page(request, 403, "csrf_failed")
            request[FORM] = form
        return await handler(request)

    return guarded


def head_only(power: Power) -> Callable[[Handler], Handler]:
    """Pages and actions for heads (and the administrator): domain.web_access decides."""

    def wrap(handler: Handler) -> Handler:
        @signed_in
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not may(request[VIEWER], power):
                return message_page(request, 403, "heads_only")
            return await handler(request)

        return guarded

    return wrap


async def read_form(request: web.Request) -> MultiDictProxy[Any] | None:  # type: ignore[type-arg]
    """The posted form, or None when it cannot be read: a multipart body without its
    boundary, bytes that are not in the declared charset, a charset nobody knows. aiohttp
    raises ValueError or LookupError for those, which would be a 500."""
    try:
        return await request.post()
    except (ValueError, LookupError) as problem:
        log.info(
            "%s %s: form unreadable (%s)", request.method, request.path, type(problem).__name__
        )
        return None


def form_field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def parse_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{name}: expected YYYY-MM-DD") from None


def whole_number(value: str | None, name: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        return params.parse_number(value, name, low, high)
    except params.BadParameter as problem:
        raise BadInput(str(problem)) from None
