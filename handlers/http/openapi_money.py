"""The money parts of the OpenAPI document (handlers/http/openapi.py): a lead's deal
amount as the API gives it and takes it, and the report's revenue."""

from __future__ import annotations

from typing import Any

# A deal's amount in major units of `currency` (150000.5 is 150 000,50 ₽); null: none.
AMOUNT: dict[str, Any] = {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 10**12}
AMOUNT_IN: dict[str, Any] = {
    "description": "Major units of the company's currency: a number, or a decimal string "
    "such as `150000.50` (exact); at most as many decimals as the currency has "
    "(two for RUB), more than zero, at most 10^12; null for none.",
    "oneOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": 10**12},
        {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"},
        {"type": "null"},
    ],
}
MONEY = {"type": "number", "minimum": 0}
REVENUE = {
    "type": "object",
    "description": "Deals won in the period; amounts in major units of `currency`.",
    "required": ["currency", "total", "deals", "without_amount", "average", "by_source"],
    "properties": {
        "currency": {"type": "string"},
        "total": MONEY,
        "deals": {"type": "integer", "description": "Won with an amount"},
        "without_amount": {"type": "integer", "description": "Won, no amount: not averaged"},
        "average": {"type": ["number", "null"]},
        "by_source": {"type": "object", "additionalProperties": MONEY},
    },
}
WITH_REVENUE = {"type": "object", "required": ["revenue"], "properties": {"revenue": REVENUE}}
REPORT: dict[str, Any] = {
    "type": "object",
    "required": ["period", "team", "managers", "currency"],
    "properties": {
        "currency": {"type": "string"},
        "team": WITH_REVENUE,
        "managers": {"type": "array", "items": WITH_REVENUE},
        "gate_skips": {
            "type": "array",
            "description": "Stage moves a gate refused in the period, per manager who tried.",
            "items": {
                "type": "object",
                "required": ["manager_id", "name", "count"],
                "properties": {
                    "manager_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "count": {"type": "integer"},
                },
            },
        },
    },
}
