"""The next-step parts of the OpenAPI document (handlers/http/openapi.py): a lead's next
step as the API gives it, and the body that sets or completes it."""

from __future__ import annotations

from typing import Any

NULLABLE_TEXT = {"type": ["string", "null"]}

NEXT_STEP: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["id", "kind", "due_at", "overdue"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"enum": ["call", "message", "meeting", "offer"]},
        "due_at": {"type": "string", "format": "date-time"},
        "note": NULLABLE_TEXT,
        "overdue": {"type": "boolean"},
        "set_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
NEXT_STEP_IN: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "required": ["at"],
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "kind": {"enum": ["call", "message", "meeting", "offer"]},
                "note": {"type": "string", "maxLength": 500},
            },
        },
        {
            "type": "object",
            "required": ["when"],
            "properties": {
                "when": {"type": "string", "maxLength": 100},
                "kind": {"enum": ["call", "message", "meeting", "offer"]},
                "note": {"type": "string", "maxLength": 500},
            },
        },
        {
            "type": "object",
            "required": ["done"],
            "properties": {"done": {"const": True}},
        },
    ]
}
