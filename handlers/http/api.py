"""JSON API under /api/ (bearer API_TOKEN)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from aiohttp import web

from channels.web import json_error, json_response
from domain.pipeline import LeadStatus
from domain.tokens import same_token
from handlers.http import params
from handlers.http.errors import Handler
from usecases.complaints import list_complaints
from usecases.context import AppContext
from usecases.queries import lead_details, list_leads

CTX = web.AppKey("ctx", AppContext)
API_TOKEN = web.AppKey("api_token", str)
MAX_LIMIT = 200


def api_auth_middleware(token: str | None) -> object:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        if not token:
            return json_error(401, "the API is off: set API_TOKEN")
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not same_token(given.strip(), token):
            return json_error(401, "missing or wrong bearer token")
        return await handler(request)

    return middleware


BadParameter = params.BadParameter


def _parse_since(value: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter("since: expected an ISO 8601 date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_int(query: dict[str, str] | object, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)  # type: ignore[attr-defined]
    return default if raw is None else params.parse_number(raw, name, low, high)


async def get_leads(request: web.Request) -> web.Response:
    query = request.query
    try:
        status = query.get("status")
        if status is not None and status not in {item.value for item in LeadStatus}:
            allowed = ", ".join(item.value for item in LeadStatus)
            raise BadParameter(f"status: expected one of {allowed}")
        channel = query.get("channel")
        if channel is not None:
            channel = params.parse_channel(channel)
        since = _parse_since(query["since"]) if "since" in query else None
        limit = _parse_int(query, "limit", 50, 1, MAX_LIMIT)
        offset = _parse_int(query, "offset", 0, 0, 10**9)
    except BadParameter as problem:
        return json_error(400, str(problem))
    page = await list_leads(
        request.app[CTX], status=status, channel=channel, since=since, limit=limit, offset=offset
    )
    return json_response(page)


async def get_lead(request: web.Request) -> web.Response:
    try:
        lead_id = params.parse_id(request.match_info["lead_id"], "lead id")
    except BadParameter as problem:
        return json_error(400, str(problem))
    details = await lead_details(request.app[CTX], lead_id)
    if details is None:
        return json_error(404, f"lead {lead_id} not found")
    return json_response(details)


CSV_COLUMNS = (
    "id",
    "status",
    "suspected",
    "overdue",
    "source",
    "contact_id",
    "lead_id",
    "manager_id",
    "owner_id",
    "text",
    "resolution",
    "deadline_at",
    "created_at",
    "resolved_at",
)


def _complaint_filters(request: web.Request) -> tuple[bool, str | None]:
    status = request.query.get("status")
    allowed = ("new", "in_progress", "resolved", "rejected")
    if status is not None and status not in allowed:
        raise BadParameter(f"status: expected one of {', '.join(allowed)}")
    open_only = request.query.get("open", "").lower() in ("1", "true", "yes")
    return open_only, status


async def get_complaints(request: web.Request) -> web.Response:
    try:
        open_only, status = _complaint_filters(request)
    except BadParameter as problem:
        return json_error(400, str(problem))
    items = await list_complaints(request.app[CTX], open_only=open_only)
    if status is not None:
        items = [item for item in items if item["status"] == status]
    return json_response({"items": items, "total": len(items)})


async def get_complaints_csv(request: web.Request) -> web.Response:
    try:
        open_only, status = _complaint_filters(request)
    except BadParameter as problem:
        return json_error(400, str(problem))
    items = await list_complaints(request.app[CTX], open_only=open_only)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for item in items:
        if status is None or item["status"] == status:
            writer.writerow(item)
    return web.Response(
        text=buffer.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="complaints.csv"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/leads", get_leads)
    app.router.add_get("/api/leads/{lead_id}", get_lead)
    app.router.add_get("/api/complaints", get_complaints)
    app.router.add_get("/api/complaints.csv", get_complaints_csv)
