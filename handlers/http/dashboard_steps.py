"""The lead page's next-step form: set the step (a typed time or the browser's
date-time field) or mark the open one done, through the same use cases as the card's
buttons; the outcome comes back as a notice on the lead page."""

from __future__ import annotations

from aiohttp import web

from domain.next_steps import StepKind
from domain.web_access import may_see_lead
from handlers.http import params
from handlers.http.dashboard_base import (
    FORM,
    VIEWER,
    app_context,
    form_field,
    message_page,
    redirect,
    signed_in,
)
from usecases import next_steps
from usecases.assignment import Verdict
from usecases.dashboard import lead_for_viewer

# What a next-step form's outcome says on the lead page (?done=…).
STEP_NOTICES = (
    "next_step_saved",
    "next_step_marked",
    "next_step_refused",
    "next_step_unreadable",
    "next_step_past",
    "next_step_too_far",
)


def _lead_id(request: web.Request) -> int | None:
    return params.id_or_none(request.match_info["lead_id"])


def _back(lead_id: int, notice: str) -> web.Response:
    return redirect(f"/dashboard/leads/{lead_id}?done={notice}#next-step")


async def _refusal(request: web.Request, lead_id: int | None) -> web.StreamResponse | None:
    """A page instead of the action when the lead id is bad, unknown or not the viewer's."""
    if lead_id is None:
        return message_page(request, 400, "bad_request", reason="lead id: a whole number")
    lead = await lead_for_viewer(app_context(request), lead_id)
    if lead is None:
        return message_page(request, 404, "not_found")
    if not may_see_lead(request[VIEWER], lead):
        return message_page(request, 403, "not_yours")
    return None


@signed_in
async def set_next_step(request: web.Request) -> web.StreamResponse:
    lead_id = _lead_id(request)
    refused = await _refusal(request, lead_id)
    if refused is not None or lead_id is None:
        return refused or message_page(request, 400, "bad_request")
    form = request[FORM]
    when = (form_field(form, "when") or "").strip()
    kind = form_field(form, "kind") or ""
    note = (form_field(form, "note") or "").strip() or None
    if kind not in {item.value for item in StepKind}:
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
    refused = await _refusal(request, lead_id)
    if refused is not None or lead_id is None:
        return refused or message_page(request, 400, "bad_request")
    verdict = await next_steps.done_from_dashboard(app_context(request), lead_id)
    return _back(lead_id, "next_step_marked" if verdict is Verdict.DONE else "next_step_refused")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/dashboard/leads/{lead_id}/next-step", set_next_step)
    app.router.add_post("/dashboard/leads/{lead_id}/next-step/done", next_step_done)
