"""The stage-gate parts of the OpenAPI document (handlers/http/openapi.py): a lead's
checklist answers, the 422 of a stage move its gate refuses, and the body of
POST /api/leads/{lead_id}/checklist."""

from __future__ import annotations

from typing import Any

CHECKLIST: dict[str, Any] = {
    "type": "array",
    "description": "Answers to the stage checklists (config `stages:`), by question key.",
    "items": {
        "type": "object",
        "required": ["key", "answer", "answered_at"],
        "properties": {
            "key": {"type": "string"},
            "answer": {"type": "string"},
            "answered_at": {"type": "string", "format": "date-time"},
        },
    },
}
GATE_REFUSED: dict[str, Any] = {
    "type": "object",
    "required": ["error", "missing", "may_override"],
    "properties": {
        "error": {"type": "string"},
        "missing": {
            "type": "array",
            "description": "What the move lacks: checklist questions unanswered (their key "
            "and words) and lead fields empty (amount, phone, email, name), named in the "
            "Accept-Language (Russian by default).",
            "items": {
                "type": "object",
                "required": ["kind", "key", "text"],
                "properties": {
                    "kind": {"enum": ["question", "field"]},
                    "key": {"type": "string"},
                    "text": {"type": "string"},
                },
            },
        },
        "may_override": {
            "type": "boolean",
            "description": 'The acting staff member is a head: the same move with "override": '
            "true goes through and is recorded in the lead's history.",
        },
    },
}
CHECKLIST_IN: dict[str, Any] = {
    "type": "object",
    "required": ["answers"],
    "properties": {
        "answers": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 50,
            "description": 'Question key → answer text, e.g. {"volume": "5 т"}; the latest '
            "answer replaces an earlier one.",
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 500},
        }
    },
}
STAGE_OVERRIDE: dict[str, Any] = {
    "type": "boolean",
    "description": "Heads only, with contacted, qualified or proposal: move even though the "
    "stage's gate is not met; the history records who and what was skipped.",
}
GATE_422_DESCRIPTION = "The stage's gate is not met: what is missing"
