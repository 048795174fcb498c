"""The JSON API described as OpenAPI 3.1, served at GET /api/openapi.json (behind the
bearer token like the rest of /api/); tests/test_api_openapi.py checks every documented
response against the real one."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from channels.web import json_response
from handlers.http.openapi_gates import (
    CHECKLIST,
    CHECKLIST_IN,
    GATE_422_DESCRIPTION,
    GATE_REFUSED,
    STAGE_OVERRIDE,
)
from handlers.http.openapi_money import AMOUNT, AMOUNT_IN, REPORT
from handlers.http.openapi_steps import NEXT_STEP, NEXT_STEP_IN

NULLABLE_TEXT = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
ERROR = {"$ref": "#/components/schemas/Error"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


LEAD_SUMMARY = {
    "type": "object",
    "required": [
        "id",
        "contact_id",
        "status",
        "is_open",
        "channel",
        "manager_id",
        "created_at",
        "amount",
        "currency",
    ],
    "properties": {
        "id": {"type": "integer"},
        "contact_id": {"type": "integer"},
        "status": {
            "enum": ["new", "contacted", "qualified", "proposal", "won", "lost", "disqualified"]
        },
        "is_open": {"type": "boolean"},
        "class": NULLABLE_TEXT,
        "channel": {"type": "string"},
        "source": NULLABLE_TEXT,
        "manager_id": {"type": ["integer", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "assigned_at": NULLABLE_TIME,
        "accepted_at": NULLABLE_TIME,
        "first_response_at": NULLABLE_TIME,
        "stage_entered_at": NULLABLE_TIME,
        "closed_at": NULLABLE_TIME,
        "loss_reason": NULLABLE_TEXT,
        "amount": AMOUNT,
        "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
        "extra": {"type": "object"},
    },
}
LEAD_ITEM = {
    "allOf": [
        _ref("LeadSummary"),
        {
            "type": "object",
            "required": ["contact_name", "manager_name"],
            "properties": {
                "contact_name": NULLABLE_TEXT,
                "contact_phone": NULLABLE_TEXT,
                "contact_email": NULLABLE_TEXT,
                "manager_name": NULLABLE_TEXT,
            },
        },
    ]
}
LEAD = {
    "allOf": [
        _ref("LeadSummary"),
        {
            "type": "object",
            "required": ["contact", "messages", "events", "next_step"],
            "properties": {
                "next_step": _ref("NextStep"),
                "checklist": CHECKLIST,
                "contact": {
                    "type": "object",
                    "required": ["id", "name", "identities"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": NULLABLE_TEXT,
                        "username": NULLABLE_TEXT,
                        "language": NULLABLE_TEXT,
                        "phone": NULLABLE_TEXT,
                        "email": NULLABLE_TEXT,
                        "identities": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "messages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "direction", "text", "delivery_status", "created_at"],
                        "properties": {
                            "id": {"type": "integer"},
                            "direction": {"enum": ["in", "out"]},
                            "channel": {"type": "string"},
                            "text": {"type": "string"},
                            "delivery_status": {"type": "string"},
                            "delivery_error": NULLABLE_TEXT,
                            "created_at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
                "events": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "actor", "at", "data"],
                        "properties": {
                            "type": {"type": "string"},
                            "actor": {"type": "string"},
                            "at": {"type": "string", "format": "date-time"},
                            "data": {"type": "object"},
                        },
                    },
                },
            },
        },
    ]
}
MANAGER = {
    "type": "object",
    "required": ["id", "name", "role", "level", "active"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "role": {"enum": ["head", "manager"]},
        "level": {"type": "string"},
        "capacity": {"type": "integer"},
        "active": {"type": "boolean"},
        "paused": {"type": "boolean"},
        "timezone": {"type": "string"},
        "language": {"type": "string"},
    },
}
COMPLAINT = {
    "type": "object",
    "required": ["id", "status", "source", "contact_id", "text", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"enum": ["new", "in_progress", "resolved", "rejected"]},
        "source": {"type": "string"},
        "contact_id": {"type": "integer"},
        "lead_id": {"type": ["integer", "null"]},
        "text": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer"},
        },
    }


LEAD_ID = {"name": "lead_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ACTING = {
    "name": "X-Leadkeeper-Manager",
    "in": "header",
    "required": True,
    "description": "The id of the staff member acting (GET /api/managers).",
    "schema": {"type": "integer"},
}
FAILURES = {
    "400": _json(ERROR, "Bad parameter or body"),
    "401": _json(ERROR, "Missing or wrong bearer token"),
    "403": _json(ERROR, "This staff member may not do that"),
    "404": _json(ERROR, "No such lead"),
    "409": _json(
        ERROR,
        "The lead is closed, not accepted yet, or already so; or the customer's channel "
        "lets the business only answer (Avito) and he has not written in this lead",
    ),
}


def _write(summary: str, body: dict[str, Any], *, gate: bool = False) -> dict[str, Any]:
    responses = {"200": _json(_ref("Lead"), "The lead after the change"), **FAILURES}
    if gate:
        responses["422"] = _json(GATE_REFUSED, GATE_422_DESCRIPTION)
    return {
        "post": {
            "summary": summary,
            "parameters": [LEAD_ID, ACTING],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": responses,
        }
    }


TEXT_BODY = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4000}},
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Leadkeeper API",
        "version": "1",
        "description": "Leads, their conversations, the team, complaints and reports. "
        "Every request carries `Authorization: Bearer <API_TOKEN>`; JSON is UTF-8.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
            "LeadSummary": LEAD_SUMMARY,
            "LeadItem": LEAD_ITEM,
            "Lead": LEAD,
            "NextStep": NEXT_STEP,
            "Manager": MANAGER,
            "Complaint": COMPLAINT,
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/leads": {
            "get": {
                "summary": "Leads, newest first",
                "parameters": [
                    {"name": name, "in": "query", "schema": schema}
                    for name, schema in (
                        ("status", {"type": "string"}),
                        ("channel", {"type": "string"}),
                        ("since", {"type": "string"}),
                        ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                        ("offset", {"type": "integer", "minimum": 0}),
                    )
                ],
                "responses": {
                    "200": _json(
                        {
                            "allOf": [
                                _page("LeadItem"),
                                {
                                    "type": "object",
                                    "required": ["limit", "offset", "next_offset"],
                                    "properties": {
                                        "limit": {"type": "integer"},
                                        "offset": {"type": "integer"},
                                        "next_offset": {"type": ["integer", "null"]},
                                    },
                                },
                            ]
                        },
                        "A page of leads with contact and manager names",
                    ),
                    "400": FAILURES["400"],
                    "401": FAILURES["401"],
                },
            }
        },
        "/api/leads/{lead_id}": {
            "get": {
                "summary": "One lead with its contact, messages and history",
                "parameters": [LEAD_ID],
                "responses": {
                    "200": _json(_ref("Lead"), "The lead"),
                    "404": FAILURES["404"],
                },
            }
        },
        "/api/leads/{lead_id}/replies": _write(
            "Reply to the customer on the lead's channel", TEXT_BODY
        ),
        "/api/leads/{lead_id}/comments": _write("Add a comment to the lead's history", TEXT_BODY),
        "/api/leads/{lead_id}/stage": _write(
            "Move the lead to a stage; won, lost and disqualified close it",
            {
                "type": "object",
                "required": ["stage"],
                "properties": {
                    "stage": {
                        "enum": [
                            "contacted",
                            "qualified",
                            "proposal",
                            "won",
                            "lost",
                            "disqualified",
                        ]
                    },
                    "reason": {"type": "string"},
                    "comment": {"type": "string"},
                    "amount": {
                        **AMOUNT_IN,
                        "description": "Only with `won`: the deal's amount, as in /amount.",
                    },
                    "override": STAGE_OVERRIDE,
                },
            },
            gate=True,
        ),
        "/api/leads/{lead_id}/checklist": _write(
            "Answer questions of the stage checklists (config `stages:`); a move to a stage "
            "whose checklist is unanswered is refused with 422",
            CHECKLIST_IN,
        ),
        "/api/leads/{lead_id}/amount": _write(
            "Set the deal's amount (null removes it) on an open or won lead",
            {
                "type": "object",
                "required": ["amount"],
                "properties": {
                    "amount": AMOUNT_IN,
                    "currency": {
                        "type": "string",
                        "description": "If given, the company's currency (GET a lead to see it).",
                    },
                },
            },
        ),
        "/api/leads/{lead_id}/owner": _write(
            "Hand the lead to a manager (heads only)",
            {
                "type": "object",
                "required": ["manager_id"],
                "properties": {"manager_id": {"type": "integer"}},
            },
        ),
        "/api/leads/{lead_id}/next-step": _write(
            "Set the lead's next step (`at`, ISO 8601, without an offset in the team's time "
            "zone; or `when`, typed as in Telegram: «завтра 10:00», «15.12 14:30»), or mark "
            "the open one done (`done: true`). The lead must be open and accepted.",
            NEXT_STEP_IN,
        ),
        "/api/managers": {
            "get": {
                "summary": "The team",
                "responses": {"200": _json(_page("Manager"), "Heads and managers")},
            }
        },
        "/api/complaints": {
            "get": {
                "summary": "Complaints, filtered by `status` or `open=1`",
                "responses": {
                    "200": _json(_page("Complaint"), "Complaints"),
                    "400": FAILURES["400"],
                },
            }
        },
        "/api/reports": {
            "get": {
                "summary": "The report for a period (period=today|yesterday|week|month or "
                "from/to), optionally one manager's (manager_id)",
                "responses": {
                    "200": _json(REPORT, "The report"),
                    "400": FAILURES["400"],
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
            }
        },
    },
}


async def get_document(request: web.Request) -> web.Response:
    return json_response(DOCUMENT)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", get_document)
