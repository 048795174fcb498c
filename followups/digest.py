"""The heads' daily digest, woken by the scheduler: each tick looks whether a head's
digest time has come; the outbox's dedupe key keeps it to one per head and day."""

from __future__ import annotations

import logging

from usecases.context import AppContext
from usecases.outage import is_outage
from usecases.report_digest import send_digests

log = logging.getLogger(__name__)


async def run_digest(ctx: AppContext) -> int:
    try:
        return await send_digests(ctx)
    except Exception as exc:
        if is_outage(exc):
            log.warning("digest: database unavailable (%s)", type(exc).__name__)
        else:
            log.exception("digest failed")
        return 0
