"""The customer channels a deployment can have, by the name stored with every identity,
message and outbox row: one list for the registry that builds them, the conformance
suite that tests each, and the API that filters by them."""

from __future__ import annotations

CUSTOMER_CHANNELS = (
    "telegram",
    "telegram_business",
    "vk",
    "whatsapp",
    "email",
    "form",
    "max",
    "avito",
)
