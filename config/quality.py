"""The `quality:` section: when the heads get the weekly sample of closed conversations to
grade, and how many of each manager's it takes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from config.base import Strict
from domain.quality import SendAt, parse_send_at


def _send_at(value: Any) -> SendAt:
    return value if isinstance(value, SendAt) else parse_send_at(str(value))


class Quality(Strict):
    # Off by default: a team turns sampling on when its head means to grade.
    enabled: bool = False
    # The weekday and time (company time zone) the sample goes out; it covers the
    # conversations closed in the seven days before.
    send_at: Annotated[SendAt, BeforeValidator(_send_at)] = parse_send_at("mon 10:00")
    # Closed conversations per manager in each sample (fewer when he closed fewer).
    per_manager: int = Field(default=3, ge=1, le=20)
