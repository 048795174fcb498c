"""The pipeline board at /dashboard/board: a column per stage, a card per lead the viewer
may see. A card moves by dragging (SortableJS), or by its move menu, a plain POST form
that works with the keyboard and without scripts; htmx, when it runs, swaps the new board
in without a reload. Either way the move is the Telegram stage button's use case."""

from __future__ import annotations

from aiohttp import web

from domain.gates import Missing
from handlers.http import params
from handlers.http.dashboard_base import (
    FORM,
    VIEWER,
    app_context,
    form_field,
    message_page,
    redirect,
    render,
    request_language,
    signed_in,
)
from texts import dashboard_text
from usecases.assignment import Verdict
from usecases.board import TARGET_STAGES, accept_card, board, move_card

# Why a move did not happen, in the catalogue's words, with its HTTP status.
_REFUSAL = {Verdict.NOT_YOURS: (403, "not_yours"), Verdict.STALE: (409, "board_stale")}
_DONE = {"moved": "board_moved", "accepted": "board_accepted"}


def _htmx(request: web.Request) -> bool:
    return request.headers.get("HX-Request") == "true"


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    notice: str | None = None,
    problem: str | None = None,
    override: dict[str, object] | None = None,
) -> web.Response:
    columns = await board(app_context(request), request[VIEWER], request_language(request))
    return render(
        request,
        "board.html",
        status=status,
        columns=columns,
        notice=notice,
        problem=problem,
        override=override,
    )


@signed_in
async def board_page(request: web.Request) -> web.StreamResponse:
    done, number = request.query.get("done"), request.query.get("id", "")
    notice = None
    if done in _DONE and number.isdigit():
        notice = dashboard_text(request_language(request), _DONE[done], id=number)
    return await _page(request, notice=notice)


def gate_problem(request: web.Request, lead_id: int, stage: str, missing: Missing) -> str:
    """«Лид #7 пока нельзя перевести на этап «квалифицирован». Не хватает: …»."""
    language = request_language(request)
    items = [question.text for question in missing.questions] + [
        dashboard_text(language, f"gate_field_{field.value}") for field in missing.fields
    ]
    stage_name = str(app_context(request).texts.get(f"stage_{stage}", language))
    return dashboard_text(
        language, "board_gate", id=lead_id, stage=stage_name, missing="; ".join(items)
    )


def _lead_id(raw: str | None) -> int | None:
    return params.id_or_none(raw)


async def _after(
    request: web.Request, verdict: Verdict, done: str, lead_id: int
) -> web.StreamResponse:
    """A script-less form gets a redirect (or the reason as a page); htmx gets the board,
    with the notice or the reason, to swap in."""
    language = request_language(request)
    if verdict is Verdict.DONE:
        if _htmx(request):
            return await _page(request, notice=dashboard_text(language, _DONE[done], id=lead_id))
        return redirect(f"/dashboard/board?done={done}&id={lead_id}")
    status, key = _REFUSAL[verdict]
    if _htmx(request):
        return await _page(request, status=status, problem=dashboard_text(language, key))
    return message_page(request, status, key)


@signed_in
async def move(request: web.Request) -> web.StreamResponse:
    form = request[FORM]
    lead_id, stage = _lead_id(form_field(form, "lead_id")), form_field(form, "stage")
    if lead_id is None or stage not in TARGET_STAGES:
        reason = "lead_id: a lead number; stage: " + ", ".join(TARGET_STAGES)
        return message_page(request, 400, "bad_request", reason=reason)
    override = form_field(form, "override") == "1"
    move = await move_card(app_context(request), request[VIEWER], lead_id, stage, override=override)
    if move.verdict is Verdict.GATE:
        # 422 with what is missing; a head gets the same move again, with the override.
        problem = gate_problem(request, lead_id, stage, move.missing)
        offer = {"lead_id": lead_id, "stage": stage} if move.may_override else None
        return await _page(request, status=422, problem=problem, override=offer)
    return await _after(request, move.verdict, "moved", lead_id)


@signed_in
async def take_offer(request: web.Request) -> web.StreamResponse:
    lead_id = _lead_id(form_field(request[FORM], "lead_id"))
    if lead_id is None:
        return message_page(request, 400, "bad_request", reason="lead_id: a lead number")
    verdict = await accept_card(app_context(request), request[VIEWER], lead_id)
    return await _after(request, verdict, "accepted", lead_id)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard/board", board_page)
    app.router.add_post("/dashboard/board/move", move)
    app.router.add_post("/dashboard/board/accept", take_offer)
