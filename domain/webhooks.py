"""Outgoing webhooks, the parts other systems rely on: the event names, the signature
header and how a body is signed (HMAC-SHA256 of the exact body bytes, hex, "sha256=")."""

from __future__ import annotations

import hashlib
import hmac

from domain.tokens import same_token

LEAD_CREATED = "lead.created"
LEAD_ASSIGNED = "lead.assigned"
LEAD_WON = "lead.won"
LEAD_LOST = "lead.lost"
COMPLAINT_OPENED = "complaint.opened"
EVENTS = (LEAD_CREATED, LEAD_ASSIGNED, LEAD_WON, LEAD_LOST, COMPLAINT_OPENED)

SIGNATURE_HEADER = "X-Leadkeeper-Signature"
EVENT_HEADER = "X-Leadkeeper-Event"
DELIVERY_HEADER = "X-Leadkeeper-Delivery"


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver checks (compared in constant time)."""
    return header is not None and same_token(header, sign(secret, body))
