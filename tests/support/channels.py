"""The team the channel tests run with: one head (Olga, in English) and a company open
round the clock, so that every lead is captured and handed out at once."""

from __future__ import annotations

from config.business import Config, parse_config

HEAD = 500


def channel_team_config(**company: str) -> Config:
    """`company` adds to the company section, e.g. default_region="RU" for the web forms."""
    return parse_config(
        {
            "company": {
                "name": "Acme",
                "timezone": "UTC",
                "working_hours": {"mon-sun": "00:00-00:00"},
                **company,
            },
            "team": {"heads": [{"telegram_id": HEAD, "name": "Olga", "language": "en"}]},
        }
    )
