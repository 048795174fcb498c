"""The `webhooks:` key of the YAML: where events are POSTed and the secret they are signed
with; each receiver may take only some of the events."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

EventName = Literal["lead.created", "lead.assigned", "lead.won", "lead.lost", "complaint.opened"]
ALL_EVENTS: list[EventName] = [
    "lead.created",
    "lead.assigned",
    "lead.won",
    "lead.lost",
    "complaint.opened",
]


class Webhook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://", max_length=255)
    # Shared with the receiver, which checks X-Leadkeeper-Signature with it.
    secret: str = Field(min_length=16)
    events: list[EventName] = Field(default_factory=lambda: list(ALL_EVENTS))

    @field_validator("events")
    @classmethod
    def _some(cls, value: list[EventName]) -> list[EventName]:
        if not value:
            raise ValueError("name at least one event, or leave `events` out for all")
        return value


def unique_urls(value: list[Webhook]) -> list[Webhook]:
    urls = [hook.url for hook in value]
    duplicates = sorted({url for url in urls if urls.count(url) > 1})
    if duplicates:
        raise ValueError(f"webhook {duplicates[0]} is declared twice")
    return value
