"""The lead page, where a lead is worked: its conversation (polled by htmx, so that a
customer's new message and each reply's delivery state appear without a reload), a reply
box, comment, stage, won with amount, lost with a reason, pass it on (heads), and the
history in sentences. Every form is a plain POST with the session's CSRF token that comes
back to the page (it works without scripts); what it does is usecases.lead_desk's, the
Telegram buttons' own use cases."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from domain.money import AmountError
from domain.web_access import may_see_lead
from handlers.http import dashboard_money, dashboard_steps, params
from handlers.http.dashboard_base import (
    FORM,
    SESSION,
    VIEWER,
    app_context,
    form_field,
    message_page,
    redirect,
    render,
    request_language,
    signed_in,
    viewer_of_request,
    with_security_headers,
)
from handlers.http.dashboard_board import gate_problem
from texts import dashboard_text
from usecases import amounts, lead_desk
from usecases.assignment import Verdict
from usecases.board import TARGET_STAGES
from usecases.dashboard import NotYours, lead_for_viewer, lead_page
from usecases.labels import class_label
from usecases.lead_desk import MAX_TEXT, WebRefusal
from usecases.lead_story import channel_name
from usecases.money_text import amount_problem
from usecases.step_views import kind_choices

# What an action's outcome says at the top of the page (?done=…).
NOTICES = frozenset(
    {"reply_queued", "comment_saved", "stage_moved", "closed_done", "owner_done"}
    | set(dashboard_steps.STEP_NOTICES)
    | {dashboard_money.AMOUNT_SAVED}
)
# Why an action did not happen: HTTP status and the catalogue's words.
_REFUSALS: dict[Any, tuple[int, str]] = {
    Verdict.NOT_YOURS: (403, "not_yours"),
    Verdict.STALE: (409, "lead_stale"),
    Verdict.ANSWER_ONLY: (409, "answer_only"),
    WebRefusal.STAFF_ONLY: (403, "staff_only"),
}


class BadForm(ValueError):
    """A form field that cannot be taken; the message is the reason, in words."""


class GateShut(ValueError):
    """A stage move its gate refused; the message names what is missing."""


def _lead_id(request: web.Request) -> int | None:
    return params.id_or_none(request.match_info["lead_id"])


@signed_in
async def lead(request: web.Request) -> web.StreamResponse:
    lead_id = _lead_id(request)
    if lead_id is None:
        return message_page(request, 400, "bad_request", reason="lead id: a whole number")
    ctx, viewer, language = app_context(request), request[VIEWER], request_language(request)
    try:
        details = await lead_page(ctx, lead_id, viewer, language)
    except NotYours:
        return message_page(request, 403, "not_yours")
    if details is None:
        return message_page(request, 404, "not_found")
    done = request.query.get("done")
    notice = dashboard_text(language, done) if done in NOTICES else None
    messages, version = await lead_desk.conversation(ctx, lead_id)
    return render(
        request,
        "lead.html",
        lead=details,
        kinds=kind_choices(ctx.texts, language),
        notice=notice,
        desk=await lead_desk.desk(ctx, viewer, lead_id),
        messages=messages,
        version=version,
        max_text=MAX_TEXT,
        channel=functools.partial(channel_name, language),
        lead_class=functools.partial(class_label, ctx.texts, language),
    )


async def conversation(request: web.Request) -> web.StreamResponse:
    """The conversation alone, for the page's polling: 204 when nothing changed since the
    version the page shows. An ended session sends the whole page to sign in (HX-Redirect)
    rather than a sign-in form into the conversation."""
    lead_id = _lead_id(request)
    if lead_id is None:
        return message_page(request, 400, "bad_request", reason="lead id: a whole number")
    session, viewer = await viewer_of_request(request)
    if session is None or viewer is None:
        target = "/dashboard/login?" + urlencode({"next": f"/dashboard/leads/{lead_id}"})
        response = web.Response(status=401, headers={"HX-Redirect": target})
        return with_security_headers(response)
    request[SESSION], request[VIEWER] = session, viewer
    found = await lead_for_viewer(app_context(request), lead_id)
    if found is None:
        return message_page(request, 404, "not_found")
    if not may_see_lead(viewer, found):
        return message_page(request, 403, "not_yours")
    messages, version = await lead_desk.conversation(app_context(request), lead_id)
    if request.query.get("v") == version:
        return with_security_headers(web.Response(status=204))
    return render(
        request,
        "lead_conversation.html",
        lead={"id": lead_id},
        messages=messages,
        version=version,
        channel=functools.partial(channel_name, request_language(request)),
    )


# ---------------------------------------------------------------- actions

Action = Callable[[web.Request, int], Awaitable[tuple[Any, str]]]


def _text(request: web.Request, name: str, empty: str) -> str:
    text = (form_field(request[FORM], name) or "").strip()
    if not text:
        raise BadForm(dashboard_text(request_language(request), empty))
    if len(text) > MAX_TEXT:
        raise BadForm(dashboard_text(request_language(request), "text_too_long", limit=MAX_TEXT))
    return text


def _action(action: Action) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Every lead form's preamble and ending: the lead must exist and be the viewer's to
    see; a done action comes back to the page with its notice, a refused one says why."""

    @signed_in
    async def handler(request: web.Request) -> web.StreamResponse:
        lead_id = _lead_id(request)
        if lead_id is None:
            return message_page(request, 400, "bad_request", reason="lead id: a whole number")
        found = await lead_for_viewer(app_context(request), lead_id)
        if found is None:
            return message_page(request, 404, "not_found")
        if not may_see_lead(request[VIEWER], found):
            return message_page(request, 403, "not_yours")
        try:
            outcome, done = await action(request, lead_id)
        except BadForm as problem:
            return message_page(request, 400, "bad_request", reason=str(problem))
        except GateShut as problem:
            return message_page(request, 422, "bad_request", reason=str(problem))
        if outcome is Verdict.DONE:
            anchor = "conversation" if done == "reply_queued" else "work"
            return redirect(f"/dashboard/leads/{lead_id}?done={done}#{anchor}")
        status, key = _REFUSALS.get(outcome, (409, "lead_stale"))
        if done == "owner_done" and outcome is Verdict.NOT_YOURS:
            key = "owner_heads_only"
        return message_page(request, status, key)

    handler.__name__ = action.__name__
    return handler


@_action
async def reply(request: web.Request, lead_id: int) -> tuple[Any, str]:
    text = _text(request, "text", "reply_empty")
    ctx, viewer = app_context(request), request[VIEWER]
    return await lead_desk.reply(ctx, viewer, lead_id, text), "reply_queued"


@_action
async def comment(request: web.Request, lead_id: int) -> tuple[Any, str]:
    text = _text(request, "text", "comment_empty")
    ctx, viewer = app_context(request), request[VIEWER]
    return await lead_desk.comment(ctx, viewer, lead_id, text), "comment_saved"


@_action
async def stage(request: web.Request, lead_id: int) -> tuple[Any, str]:
    chosen = form_field(request[FORM], "stage") or ""
    if chosen not in TARGET_STAGES:
        raise BadForm(dashboard_text(request_language(request), "stage_unknown"))
    ctx, viewer = app_context(request), request[VIEWER]
    override = form_field(request[FORM], "override") == "1"
    move = await lead_desk.move(ctx, viewer, lead_id, chosen, override=override)
    if move.verdict is Verdict.GATE:
        raise GateShut(gate_problem(request, lead_id, chosen, move.missing))
    return move.verdict, "stage_moved"


@_action
async def won(request: web.Request, lead_id: int) -> tuple[Any, str]:
    ctx = app_context(request)
    typed = (form_field(request[FORM], "amount") or "").strip()
    minor = None
    if typed:
        try:
            minor = amounts.read_amount(ctx, typed)
        except AmountError as problem:
            currency = amounts.company_currency(ctx)
            language = request_language(request)
            raise BadForm(str(amount_problem(ctx.texts, language, problem, currency))) from None
    return await lead_desk.win(ctx, request[VIEWER], lead_id, minor), "closed_done"


@_action
async def lost(request: web.Request, lead_id: int) -> tuple[Any, str]:
    ctx, form = app_context(request), request[FORM]
    outcome = form_field(form, "outcome") or "lost"
    reason = form_field(form, "reason") or ""
    if outcome not in lead_desk.OUTCOMES or reason not in ctx.config.loss_reasons:
        raise BadForm(dashboard_text(request_language(request), "reason_unknown"))
    details = (form_field(form, "comment") or "").strip()[:MAX_TEXT] or None
    verdict = await lead_desk.lose(ctx, request[VIEWER], lead_id, outcome, reason, details)
    return verdict, "closed_done"


@_action
async def owner(request: web.Request, lead_id: int) -> tuple[Any, str]:
    chosen = form_field(request[FORM], "manager_id") or ""
    target = None if chosen == "me" else params.id_or_none(chosen)
    if chosen != "me" and target is None:
        raise BadForm(dashboard_text(request_language(request), "owner_unknown"))
    ctx, viewer = app_context(request), request[VIEWER]
    return await lead_desk.pass_on(ctx, viewer, lead_id, target), "owner_done"


def add_routes(app: web.Application) -> None:
    routes = app.router
    routes.add_get("/dashboard/leads/{lead_id}", lead)
    routes.add_get("/dashboard/leads/{lead_id}/conversation", conversation)
    routes.add_post("/dashboard/leads/{lead_id}/reply", reply)
    routes.add_post("/dashboard/leads/{lead_id}/comment", comment)
    routes.add_post("/dashboard/leads/{lead_id}/stage", stage)
    routes.add_post("/dashboard/leads/{lead_id}/won", won)
    routes.add_post("/dashboard/leads/{lead_id}/lost", lost)
    routes.add_post("/dashboard/leads/{lead_id}/owner", owner)
