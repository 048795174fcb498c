"""The WhatsApp Cloud API channel against the emulator: settings, signed webhook POSTs and
reads of what the service stored."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from sqlalchemy import func, select

from config.settings import Settings
from tests.emulator.whatsapp import WhatsAppEmulator, sign
from tests.support.service import make_settings

TOKEN = "EAAG-access-token"
APP_SECRET = "meta-app-secret"
VERIFY = "verify-me"
URL = "/whatsapp/webhook"
CUSTOMER = "79001234567"


def wa_settings(database_url: str, wa: WhatsAppEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "whatsapp_token": TOKEN,
        "whatsapp_phone_number_id": wa.phone_number_id,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY,
        "whatsapp_api_base": wa.base_url,
        "whatsapp_api_version": wa.version,
    }
    values.update(overrides)
    return make_settings(database_url, None, **values)


async def rows(service: Any, model: type) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def count(service: Any, model: type) -> int:
    async with service.ctx.db.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def post(
    http: aiohttp.ClientSession, url: str, webhook: Any, *, secret: str | None = APP_SECRET
) -> int:
    body = webhook if isinstance(webhook, bytes) else json.dumps(webhook).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, secret)
    async with http.post(url, data=body, headers=headers) as response:
        return response.status
