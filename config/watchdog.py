"""The `watchdog:` section: how often each channel is probed, how long a failure may last
before the heads are told, whether that waits for working hours, and which channels are
suspicious when silent for long."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from config.base import Duration, Strict


class Watchdog(Strict):
    enabled: bool = True
    # A cheap look at each channel (getMe, a login, the webhook's registration)…
    probe_every: Duration = timedelta(minutes=1)
    # …and a failure that lasts this long is told to the heads, once per outage.
    fail_after: Duration = timedelta(minutes=5)
    # Alerts wait for the company's working hours (a night outage is told in the morning
    # if it still lasts); the "recovered" message goes at any time.
    working_hours_only: bool = False
    # Channels that are suspicious when nothing came in for this long, e.g. {telegram: 1d}.
    silent_after: dict[str, Duration] = Field(default_factory=dict)
