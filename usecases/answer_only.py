"""Channels where a business may only answer a customer (Avito: a seller answers a
buyer's message and can never open a chat). The product never writes first there: a
manager's reply, an acknowledgement or a follow-up goes to such a channel only in a lead
the customer opened by writing on it. A lead the product opened itself (a second try at
a lost customer) is refused, and so are marketing sequences (a mailing is writing first)."""

from __future__ import annotations

from typing import Any

from usecases.context import AppContext


def writes_first(ctx: AppContext, lead: Any, channel: str) -> bool:
    """Would a message to this lead's customer on `channel` start a conversation the
    customer did not open? Only answer-only channels ask."""
    if channel not in ctx.answer_only:
        return False
    return lead.channel != channel or lead.last_customer_message_at is None
