"""The one channel interface: inbound normalisation lives beside each adapter; outbound
sending is `ChannelSender.send`, whose outcome every channel maps to the same statuses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class SendStatus(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # try again later (rate limit, 5xx, timeout)
    FAILED = "failed"  # never going to work (bad request)
    BLOCKED = "blocked"  # the recipient blocked us: failed, and stop sending to him


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    external_id: str | None = None
    retry_after: float | None = None
    error: str | None = None
    # The platform refused the channel's own credentials (a revoked token, wrong keys, a
    # changed password): no message gets through until the administrator fixes them. The
    # channel watchdog counts it (usecases/channel_health.py).
    refused: bool = False


class ChannelSender(Protocol):
    name: str

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        """Send one outbox payload; never raises for a platform's answer. `row_id` (the
        outbox row) lets a platform that deduplicates by a client id make retries safe."""
        ...
