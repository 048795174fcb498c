"""The JSON API's write endpoints and the team: a staff member named in the
X-Leadkeeper-Manager header (his manager id, see GET /api/managers) replies, moves the
stage, hands the lead over (heads), comments; the same use cases and checks as Telegram."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from channels.web import json_error, json_response
from domain.pipeline import LeadStatus
from handlers.http import params
from handlers.http.api import CTX
from usecases.assignment import Verdict
from usecases.integration import Refusal, act, lead_after, list_managers

MANAGER_HEADER = "X-Leadkeeper-Manager"
MAX_TEXT = 4000
STAGES = [status.value for status in LeadStatus if status != LeadStatus.NEW]
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


def _values(action: str, data: dict[str, Any]) -> dict[str, Any]:
    if action in ("reply", "comment"):
        return {"text": _text(data, "text")}
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
    return {
        "stage": stage,
        "reason": _text(data, "reason", required=False),
        "comment": _text(data, "comment", required=False),
    }


def _write(action: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        try:
            lead_id = params.parse_id(request.match_info["lead_id"], "lead id")
            raw = request.headers.get(MANAGER_HEADER)
            if raw is None:
                raise BadBody(f"{MANAGER_HEADER}: name the acting staff member's id")
            manager_id = params.parse_id(raw, MANAGER_HEADER)
            values = _values(action, await _body(request))
        except (BadBody, params.BadParameter) as problem:
            return json_error(400, str(problem))
        ctx = request.app[CTX]
        outcome = await act(ctx, lead_id, manager_id, action, **values)
        if outcome is Refusal.NO_LEAD:
            return json_error(404, f"lead {lead_id} not found")
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
