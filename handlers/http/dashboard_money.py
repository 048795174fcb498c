"""The deal's amount from the lead page: a small form (POST with the session's CSRF
token, like every dashboard form) that sets or removes it through the same use case as
the API; a value that is no amount is a 400 with the reason in words."""

from __future__ import annotations

from aiohttp import web

from domain.money import AmountError
from domain.web_access import may_see_lead
from handlers.http import params
from handlers.http.dashboard_base import (
    FORM,
    VIEWER,
    app_context,
    form_field,
    message_page,
    redirect,
    request_language,
    signed_in,
)
from usecases import amounts
from usecases.assignment import Verdict
from usecases.dashboard import lead_for_viewer
from usecases.money_text import amount_problem

AMOUNT_SAVED = "amount_saved"


@signed_in
async def set_lead_amount(request: web.Request) -> web.StreamResponse:
    lead_id = params.id_or_none(request.match_info["lead_id"])
    if lead_id is None:
        return message_page(request, 400, "bad_request", reason="lead id: a whole number")
    ctx = app_context(request)
    typed = (form_field(request[FORM], "amount") or "").strip()
    minor = None
    if typed:
        try:
            minor = amounts.read_amount(ctx, typed)
        except AmountError as problem:
            why = amount_problem(
                ctx.texts, request_language(request), problem, amounts.company_currency(ctx)
            )
            return message_page(request, 400, "bad_request", reason=why)
    lead = await lead_for_viewer(ctx, lead_id)
    if lead is None:
        return message_page(request, 404, "not_found")
    viewer = request[VIEWER]
    if not may_see_lead(viewer, lead):
        return message_page(request, 403, "not_yours")
    verdict = await amounts.set_amount(ctx, lead_id, viewer.telegram_id, minor)
    if verdict is not Verdict.DONE:
        return message_page(request, 409, "amount_stale")
    return redirect(f"/dashboard/leads/{lead_id}?done={AMOUNT_SAVED}")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/dashboard/leads/{lead_id}/amount", set_lead_amount)
