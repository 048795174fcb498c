"""The `watchdog:` section: how often each channel is probed, how long a failure may last
before the heads are told, whether that waits for working hours, and which channels are
suspicious when silent for long; and to which addresses the heads' alerts go by e-mail too."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

from config.base import Duration, Strict
from domain.contacts import normalise_email


def _address(value: str) -> str:
    address = normalise_email(value)
    if address is None:
        raise ValueError(f"{value!r} is not an e-mail address")
    return address


Address = Annotated[str, AfterValidator(_address)]


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
    # The alert and the "recovered" message also go by e-mail (SMTP_HOST) to these
    # addresses, written in `email_language`: a head away from Telegram still hears of it.
    email_to: list[Address] = Field(default_factory=list)
    email_language: str = Field(default="ru", pattern="^(ru|en)$")
