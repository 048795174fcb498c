"""Signing in and out of the dashboard: a staff member's one-time link from the bot
(/web), the administrator's password, "log out" and "log out everywhere".

Opening a link shows whom it signs in and a button: the session starts on the POST, so a
link preview or a mail scanner that fetches the link does not spend it."""

from __future__ import annotations

import asyncio

from aiohttp import web

from domain.web_tokens import LinkState
from handlers.http.dashboard_auth import COOKIE, Session, same_origin
from handlers.http.dashboard_base import (
    AUTH,
    LANG_COOKIE,
    LANGUAGES,
    SESSION,
    app_context,
    form_field,
    local_path,
    message_page,
    read_form,
    redirect,
    render,
    signed_in,
    viewer_of_request,
)
from usecases.web_logins import check_link, sign_in_by_link, sign_out

# A used or expired link is gone for good; a link nobody issued was never there.
_REFUSED = {LinkState.USED: 410, LinkState.EXPIRED: 410, LinkState.UNKNOWN: 404}
LANGUAGE_SECONDS = 365 * 86400


def _fresh_session(request: web.Request) -> tuple[bool, Session]:
    """The visitor's session before sign-in (it carries the CSRF token of the form)."""
    auth = request.app[AUTH]
    session = auth.session_of(request)
    fresh = session or auth.new_session()
    request[SESSION] = fresh
    return session is None, fresh


async def login_form(request: web.Request) -> web.StreamResponse:
    _, viewer = await viewer_of_request(request)
    if viewer is not None:
        return redirect(local_path(request.query.get("next")))
    auth = request.app[AUTH]
    new, fresh = _fresh_session(request)
    response = render(
        request,
        "login.html",
        next=local_path(request.query.get("next")),
        password_on=auth.password_on,
    )
    if new:
        auth.set_cookie(request, response, fresh)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """The administrator's password (DASHBOARD_PASSWORD)."""
    auth = request.app[AUTH]
    session = auth.session_of(request)
    form = await read_form(request)
    if form is None:
        return message_page(request, 400, "form_unreadable")
    if not same_origin(request) or not auth.csrf_ok(session, form_field(form, "csrf")):
        return message_page(request, 403, "csrf_failed")
    assert session is not None
    request[SESSION] = session
    target = local_path(form_field(form, "next"))
    if not auth.password_on:
        return render(
            request, "login.html", status=403, error="password_off", next=target, password_on=False
        )
    address = request.remote or "?"
    if auth.too_many_failures(address):
        return render(
            request, "login.html", status=429, error="too_many", next=target, password_on=True
        )
    password = form_field(form, "password") or ""
    # scrypt is slow on purpose: off the event loop.
    if not await asyncio.to_thread(auth.password_matches, password):
        auth.failed(address)
        return render(
            request, "login.html", status=401, error="wrong_password", next=target, password_on=True
        )
    auth.succeeded(address)
    response = redirect(target)
    # A new session id on sign-in: a session fixed before it is worth nothing.
    auth.set_cookie(request, response, auth.new_session(admin=True))
    return response


def _refused(request: web.Request, state: LinkState) -> web.Response:
    return render(
        request, "link.html", status=_REFUSED[state], state=state.value, name="", token=""
    )


async def link_page(request: web.Request) -> web.StreamResponse:
    """What the link in the bot's message opens: whom it signs in, and the button."""
    token = request.match_info["token"]
    check = await check_link(app_context(request), token)
    if check.state is not LinkState.VALID:
        return _refused(request, check.state)
    new, fresh = _fresh_session(request)
    response = render(request, "link.html", state="valid", name=check.name, token=token)
    if new:
        request.app[AUTH].set_cookie(request, response, fresh)
    return response


async def link_sign_in(request: web.Request) -> web.StreamResponse:
    auth = request.app[AUTH]
    session = auth.session_of(request)
    form = await read_form(request)
    if form is None:
        return message_page(request, 400, "form_unreadable")
    if not same_origin(request) or not auth.csrf_ok(session, form_field(form, "csrf")):
        return message_page(request, 403, "csrf_failed")
    signed = await sign_in_by_link(app_context(request), request.match_info["token"])
    if signed.session_token is None:
        return _refused(request, signed.state)
    response = redirect("/dashboard/board")
    # A new session id, as with the password: nothing fixed before sign-in carries over.
    auth.set_cookie(request, response, auth.new_session(token=signed.session_token))
    if request.cookies.get(LANG_COOKIE) not in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            signed.language,
            max_age=LANGUAGE_SECONDS,
            path="/dashboard",
            samesite="Lax",
        )
    return response


async def _sign_out(request: web.Request, *, everywhere: bool) -> web.StreamResponse:
    token = request[SESSION].token
    if token is not None:
        await sign_out(app_context(request), token, everywhere=everywhere)
    response = redirect("/dashboard/login")
    response.del_cookie(COOKIE, path="/dashboard")
    return response


@signed_in
async def logout(request: web.Request) -> web.StreamResponse:
    return await _sign_out(request, everywhere=False)


@signed_in
async def logout_everywhere(request: web.Request) -> web.StreamResponse:
    return await _sign_out(request, everywhere=True)


async def choose_language(request: web.Request) -> web.StreamResponse:
    language = request.match_info["language"]
    response = redirect(local_path(request.query.get("next")))
    if language in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, language, max_age=LANGUAGE_SECONDS, path="/dashboard", samesite="Lax"
        )
    return response


def add_routes(app: web.Application) -> None:
    routes = app.router
    routes.add_get("/dashboard/login", login_form)
    routes.add_post("/dashboard/login", login)
    routes.add_get("/dashboard/login/{token}", link_page)
    routes.add_post("/dashboard/login/{token}", link_sign_in)
    routes.add_post("/dashboard/logout", logout)
    routes.add_post("/dashboard/logout/everywhere", logout_everywhere)
    routes.add_get("/dashboard/lang/{language}", choose_language)
