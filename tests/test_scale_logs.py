"""The service's whole output, at DEBUG, while it handles customers who write their phone
and e-mail, serves the API, refuses a wrong webhook secret and logs delivery errors that
echo personal data: no bot token, API token, webhook secret or other secret appears, and
phones and e-mails are masked. DEBUG is the hard case: libraries log SQL parameters and
requests then (on SQLite every statement with its parameters). On PostgreSQL the
database URL carries a password too (trust authentication ignores it), which must not
appear either."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from tests.emulator.telegram import TelegramEmulator
from tests.support.env import PG_SKIP, PG_URL
from tests.support.scale import (
    Db,
    free_port,
    fresh_database,
    post_updates,
    service_env,
    services,
    start_service,
    wait_until,
    write_config,
)

# A token of the real shape: the scrubber must catch it by value and by shape.
BOT_TOKEN = "7301234567:AAHsecretPartOfTheBotToken_0123456789"
API_TOKEN = "api-token-Zq8XwV31nLkP"
WEBHOOK_SECRET = "webhook-secret-Ht5Rk2Wq"
DASHBOARD_PASSWORD = "dashboard-pass-Mm4Tt7"
FORMS_TOKEN = "forms-token-Yy6Uu9"
DB_PASSWORD = "db-password-Kk3Jj8"
PHONE = "+7 916 123-45-67"
PHONE_DIGITS = "79161234567"
EMAIL = "ivan.petrov@example.com"
CUSTOMER = 960_000_001
HEAD = 961_000_001
MANAGER = 961_000_002


@contextlib.asynccontextmanager
async def a_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'leadkeeper.db'}"
        return
    if PG_URL is None:
        pytest.skip(PG_SKIP)
    async with fresh_database() as url:
        yield make_url(url).set(password=DB_PASSWORD).render_as_string(hide_password=False)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_logs_hold_no_secrets_and_mask_phones_and_emails(kind: str, tmp_path: Path) -> None:
    async with a_database(kind, tmp_path) as database:
        output = await run_and_collect(database, tmp_path)
    # The service did log what matters, masked: the failed delivery and its data.
    assert "failed" in output and "Bad Request" in output
    assert "i***@example.com" in output
    assert "+7916***67" in output
    # Nothing secret, nothing personal in the clear.
    secret_part = BOT_TOKEN.split(":", 1)[1]
    secrets = (secret_part, API_TOKEN, WEBHOOK_SECRET, DASHBOARD_PASSWORD, FORMS_TOKEN, DB_PASSWORD)
    for secret in secrets:
        assert secret not in output, f"{secret!r} leaked:\n{_around(output, secret)}"
    for personal in (EMAIL, "ivan.petrov", PHONE, PHONE_DIGITS, "916 123", "1234567"):
        assert personal not in output, f"{personal!r} leaked:\n{_around(output, personal)}"


async def run_and_collect(database: str, tmp_path: Path) -> str:
    config = write_config(tmp_path / "leadkeeper.yaml", heads=[HEAD], managers=[MANAGER])
    port = free_port()
    db = Db(database)
    async with TelegramEmulator(token=BOT_TOKEN) as emulator:
        env = service_env(
            database,
            emulator.base_url,
            config,
            webhook_port=port,
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            API_TOKEN=API_TOKEN,
            DASHBOARD_PASSWORD=DASHBOARD_PASSWORD,
            FORMS_TOKEN=FORMS_TOKEN,
            LOG_LEVEL="DEBUG",
        )
        service = await start_service("all", "all", env, tmp_path, port=port)
        async with services(service), aiohttp.ClientSession() as session:
            await service.wait_ready()
            base = service.url
            # A delivery error that echoes personal data (platforms and mail servers do).
            emulator.fail_next(
                "sendMessage",
                status=400,
                description=f"Bad Request: chat not found for {PHONE} <{EMAIL}>",
            )
            emulator.fail_next("sendMessage", status=500, times=2)
            # A wrong secret first (refused), then the customer with his phone and e-mail.
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-" + WEBHOOK_SECRET}
            enquiry = emulator.make_text_update(
                CUSTOMER, f"Перезвоните на {PHONE} или напишите на {EMAIL}", first_name="Ivan"
            )
            async with session.post(f"{base}/telegram/webhook", json=enquiry, headers=wrong) as r:
                assert r.status == 401
            await post_updates([base], [enquiry], secret=WEBHOOK_SECRET, deadline=20)
            await post_updates(
                [base],
                [
                    emulator.make_text_update(CUSTOMER, f"Ещё раз: {PHONE}, {EMAIL}"),
                    emulator.make_contact_update(CUSTOMER, PHONE_DIGITS),
                ],
                secret=WEBHOOK_SECRET,
                deadline=20,
            )
            # The API, with the right token and a wrong one; the dashboard sign-in.
            bearer = {"Authorization": f"Bearer {API_TOKEN}"}
            async with session.get(f"{base}/api/leads", headers=bearer) as r:
                assert r.status == 200
            async with session.get(f"{base}/api/leads", headers={"Authorization": "Bearer x"}) as r:
                assert r.status == 401
            async with session.post(
                f"{base}/dashboard/login", data={"password": DASHBOARD_PASSWORD}
            ) as r:
                await r.read()
            # A form with the same personal data.
            async with session.post(
                f"{base}/intake/form",
                data={"name": "Ivan", "phone": PHONE, "email": EMAIL, "token": FORMS_TOKEN},
            ) as r:
                await r.read()

            async def settled() -> bool:
                return await db.settled() and (await db.inbound_messages())[0] >= 3

            await wait_until(settled, 40, "the updates handled", context=service.tail)
            await asyncio.sleep(1.0)
        output = service.output()
        await db.close()
    return output


def _around(output: str, needle: str) -> str:
    return "\n".join(
        output[max(0, m.start() - 300) : m.end() + 100]
        for m in list(re.finditer(re.escape(needle), output))[:3]
    )
