"""The channel watchdog in end-to-end tests: a team with one head and a watchdog that
probes every minute and tells after five, a service that looks often (real seconds) while
the test moves the lead clock, and waits on the channel's health row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from config.business import Config, parse_config
from domain.clock import ManualClock
from storage.health_models import ChannelHealth
from tests.support.service import wait_until
from usecases.context import AppContext

HEAD = 500
ALWAYS = {"mon-sun": "00:00-00:00"}
# The service looks this often (real seconds) whether a probe is due on the lead clock.
LOOK_EVERY = 0.1


def watchdog_config(**watchdog: Any) -> Config:
    return parse_config(
        {
            "company": {
                "name": "Acme",
                "timezone": "UTC",
                "working_hours": watchdog.pop("working_hours", ALWAYS),
            },
            "team": {"heads": [{"telegram_id": HEAD, "name": "Olga", "language": "ru"}]},
            "watchdog": {"probe_every": "1m", "fail_after": "5m", **watchdog},
        }
    )


async def health(ctx: AppContext, channel: str) -> ChannelHealth | None:
    async with ctx.db.uow() as uow:
        return await uow.channel_health.get(channel)


async def probed_at_now(ctx: AppContext, clock: ManualClock, channel: str) -> ChannelHealth:
    """Wait until the watchdog has looked at the channel at the clock's present moment."""

    async def looked() -> bool:
        row = await health(ctx, channel)
        return row is not None and row.probed_at == clock.now()

    await wait_until(looked)
    row = await health(ctx, channel)
    assert row is not None
    return row


async def minute_passes(
    ctx: AppContext, clock: ManualClock, channel: str, minutes: int = 1
) -> ChannelHealth:
    """Move the clock on and wait for the probe that falls due."""
    clock.advance(timedelta(minutes=minutes))
    return await probed_at_now(ctx, clock, channel)
