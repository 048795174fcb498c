"""The web form intake (POST /intake/form with a token): settings for it and reads of what
it stored."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.mail import SmtpServer
from tests.support.service import make_settings

TOKEN = "form-token-123"
URL = "/intake/form"


def form_settings(database_url: str, smtp: SmtpServer | None = None, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"forms_token": TOKEN, "forms_rate_limit": 1000}
    if smtp is not None:
        values.update(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="none",
            email_from="Acme Sales <sales@acme.example>",
        )
    values.update(overrides)
    return make_settings(database_url, None, **values)


async def count(service, model) -> int:  # type: ignore[no-untyped-def]
    async with service.ctx.db.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def all_rows(service, model) -> list:  # type: ignore[no-untyped-def]
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).order_by(model.id)))
