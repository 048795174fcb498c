"""The JSON API's write endpoints and the team: a staff member named in the
X-Leadkeeper-Manager header (his manager id, see GET /api/managers) replies, moves the
stage, hands the lead over (heads), comments, sets the deal's amount, sets or completes
the next step; the same use cases and checks as Telegram."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from channels.web import json_error, json_response
from domain.money import MAX_AMOUNT, AmountError, AmountProblem, exponent, to_minor
from domain.next_steps import NOTE_LENGTH, StepKind
from domain.pipeline import CLOSED_STATUSES, LeadStatus
from domain.step_time import WhenProblem
from handlers.http import params
from handlers.http.api import CTX
from handlers.http.api_gates import checklist_answers, gate_refused
from usecases.assignment import Verdict
from usecases.gates import StageMove
from usecases.integration import Refusal, act, checklist, lead_after, list_managers, next_step

MANAGER_HEADER = "X-Leadkeeper-Manager"
MAX_TEXT = 4000
STAGES = [status.value for status in LeadStatus if status != LeadStatus.NEW]
CLOSING = [status.value for status in CLOSED_STATUSES]
_ANSWERS = {
    Verdict.NOT_YOURS: (403, "this staff member may not do that with this lead"),
    Verdict.STALE: (409, "the lead is closed, not yet accepted, or already so"),
    Verdict.ANSWER_ONLY: (
        409,
        "the customer's channel lets the business only answer (Avito) and he has not "
        "written in this lead: nobody may write to him first",
    ),
    Refusal.NO_STAFF: (403, "no active staff member with that id"),
}


_PROBLEMS = {
    WhenProblem.UNREADABLE: "at or when: expected an ISO 8601 date-time or a time such as "
    "«завтра 10:00» or «15.12 14:30»",
    WhenProblem.PAST: "at or when: that time has passed",
    WhenProblem.TOO_FAR: "at or when: more than a year away",
}
KINDS = [kind.value for kind in StepKind]


class BadBody(ValueError):
    pass


async def get_managers(request: web.Request) -> web.Response:
    items = await list_managers(request.app[CTX])
    return json_response({"items": items, "total": len(items)})


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.text() or "null")
    except (ValueError, UnicodeDecodeError):
        raise BadBody("body: expected a JSON object") from None
    if not isinstance(data, dict):
        raise BadBody("body: expected a JSON object")
    return data


def _text(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadBody(f"{name}: expected non-empty text")
    if len(value) > MAX_TEXT:
        raise BadBody(f"{name}: at most {MAX_TEXT} characters")
    return value


_PLAIN_NUMBER = re.compile(r"[0-9]{1,40}(?:\.[0-9]{1,40})?")
_AMOUNT_REASONS = {
    AmountProblem.NOT_A_NUMBER: "expected a number such as 150000 or 150000.50, or null",
    AmountProblem.NEGATIVE: "must not be negative",
    AmountProblem.ZERO: "must be more than zero (null removes the amount)",
    AmountProblem.TOO_LARGE: f"at most {MAX_AMOUNT}",
}


def _amount(data: dict[str, Any], currency: str) -> int | None:
    """`amount`: a JSON number or a decimal string ("150000.50") in major units of the
    company's currency, or null (none). Minor units in return."""
    value = data.get("amount")
    if value is None:
        return None
    if "currency" in data and data["currency"] != currency:
        raise BadBody(f"currency: amounts are kept in {currency}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadBody(f"amount: {_AMOUNT_REASONS[AmountProblem.NOT_A_NUMBER]}")
    if isinstance(value, str) and not _PLAIN_NUMBER.fullmatch(value):
        raise BadBody(f"amount: {_AMOUNT_REASONS[AmountProblem.NOT_A_NUMBER]}")
    try:
        return to_minor(Decimal(str(value)), currency)
    except AmountError as error:
        if error.problem is AmountProblem.TOO_PRECISE:
            places = exponent(currency)
            raise BadBody(f"amount: at most {places} decimal places in {currency}") from None
        reason = _AMOUNT_REASONS.get(error.problem, error.problem.value)
        raise BadBody(f"amount: {reason}") from None


def _values(action: str, data: dict[str, Any], currency: str) -> dict[str, Any]:
    if action in ("reply", "comment"):
        return {"text": _text(data, "text")}
    if action == "amount":
        if "amount" not in data:
            raise BadBody("amount: required (a number, or null to remove the amount)")
        return {"amount": _amount(data, currency)}
    if action == "owner":
        target = data.get("manager_id")
        if (
            not isinstance(target, int)
            or isinstance(target, bool)
            or not 0 < target <= params.MAX_ID
        ):
            raise BadBody("manager_id: expected a manager id (GET /api/managers)")
        return {"target_id": target}
    stage = data.get("stage")
    if stage not in STAGES:
        raise BadBody(f"stage: expected one of {', '.join(STAGES)}")
    if data.get("amount") is not None and stage != LeadStatus.WON:
        raise BadBody("amount: only with the stage won")
    override = data.get("override", False)
    if not isinstance(override, bool):
        raise BadBody("override: expected true or false")
    if override and stage in CLOSING:
        raise BadBody("override: only with a stage move (contacted, qualified, proposal)")
    return {
        "stage": stage,
        "override": override,
        "reason": _text(data, "reason", required=False),
        "comment": _text(data, "comment", required=False),
        "amount": _amount(data, currency),
    }


def _step_values(data: dict[str, Any]) -> dict[str, Any]:
    """{"at": ISO 8601} or {"when": "завтра 10:00"}, with "kind" and "note"; or {"done": true}."""
    if data.get("done") is True:
        return {"done": True}
    at, when = data.get("at"), data.get("when")
    if (at is None) == (when is None):
        raise BadBody('give "at" (ISO 8601) or "when" (e.g. «завтра 10:00»), or "done": true')
    for name, value in (("at", at), ("when", when)):
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 100):
            raise BadBody(f"{name}: expected text of at most 100 characters")
    kind = data.get("kind")
    if kind is not None and kind not in KINDS:
        raise BadBody(f"kind: expected one of {', '.join(KINDS)}")
    note = _text(data, "note", required=False)
    if note is not None and len(note) > NOTE_LENGTH:
        raise BadBody(f"note: at most {NOTE_LENGTH} characters")
    return {"at": at, "when": when, "kind": StepKind(kind) if kind else None, "note": note}


def _write(action: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        try:
            lead_id = params.parse_id(request.match_info["lead_id"], "lead id")
            raw = request.headers.get(MANAGER_HEADER)
            if raw is None:
                raise BadBody(f"{MANAGER_HEADER}: name the acting staff member's id")
            manager_id = params.parse_id(raw, MANAGER_HEADER)
            ctx = request.app[CTX]
            body = await _body(request)
            if action == "next_step":
                values = _step_values(body)
            elif action == "checklist":
                values = {"answers": checklist_answers(ctx, body)}
            else:
                values = _values(action, body, ctx.config.company.currency)
        except (BadBody, params.BadParameter) as problem:
            return json_error(400, str(problem))
        if action == "next_step":
            outcome = await next_step(ctx, lead_id, manager_id, **values)
        elif action == "checklist":
            outcome = await checklist(ctx, lead_id, manager_id, **values)
        else:
            outcome = await act(ctx, lead_id, manager_id, action, **values)
        if outcome is Refusal.NO_LEAD:
            return json_error(404, f"lead {lead_id} not found")
        if isinstance(outcome, WhenProblem):
            return json_error(400, _PROBLEMS[outcome])
        if isinstance(outcome, StageMove):
            return gate_refused(request, outcome, values.get("override", False))
        if outcome in _ANSWERS:
            status, reason = _ANSWERS[outcome]
            return json_error(status, reason)
        return json_response(await lead_after(ctx, lead_id))

    return handler


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/managers", get_managers)
    app.router.add_post("/api/leads/{lead_id}/replies", _write("reply"))
    app.router.add_post("/api/leads/{lead_id}/stage", _write("stage"))
    app.router.add_post("/api/leads/{lead_id}/owner", _write("owner"))
    app.router.add_post("/api/leads/{lead_id}/comments", _write("comment"))
    app.router.add_post("/api/leads/{lead_id}/next-step", _write("next_step"))
    app.router.add_post("/api/leads/{lead_id}/amount", _write("amount"))
    app.router.add_post("/api/leads/{lead_id}/checklist", _write("checklist"))
