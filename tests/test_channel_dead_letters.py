"""One dead-letter path for every channel: a VK event, a WhatsApp webhook, a site form or
a mail whose capture fails where it arrives is answered as usual, kept in the inbox with a
stable key, retried by the inbox worker with backoff up to the cap, then listed as failed
by `leadkeeper inbox failed` and on /dashboard/inbox; `leadkeeper inbox retry ID` captures
it once the fault is gone. Old `dead_letters` rows move into the inbox by migration."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, text

import usecases.capture
from domain.clock import ManualClock
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import InboundUpdate, Message
from tests.emulator.vk import VkEmulator
from tests.emulator.whatsapp import WhatsAppEmulator, sign
from tests.support.channels import channel_team_config
from tests.support.dashboard import PASSWORD, session, sign_in
from tests.support.forms import TOKEN as FORM_TOKEN
from tests.support.mail import IMAP_URL, Mailbox, dovecot_running, mail
from tests.support.service import make_settings, running_service, wait_until
from tests.support.whatsapp import APP_SECRET, wa_settings
from usecases.inbound_retry import MAX_ATTEMPTS, backoff

ROOT = Path(__file__).resolve().parents[1]
VK_TOKEN, VK_SECRET = "vk1.a.group-token", "callback-secret"
DASHBOARD = {"dashboard_password": PASSWORD, "dashboard_secret": "k" * 32}
TEXT = "Сколько стоит доставка в Казань?"


class Fault:
    """The database refusing every capture while on (not an outage: a fault in the work)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.on = True
        self.calls = 0
        real = usecases.capture._capture

        async def capture(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.on:
                raise RuntimeError("database said no")
            return await real(*args, **kwargs)

        monkeypatch.setattr(usecases.capture, "_capture", capture)


@dataclass
class Channel:
    name: str
    settings: Callable[[str], Any]
    # Sends one payload, checks the platform's answer, returns the inbox key it expects.
    send: Callable[[int], Awaitable[str]]


@pytest.fixture
async def vk() -> AsyncIterator[VkEmulator]:
    async with VkEmulator(VK_TOKEN) as emulator:
        yield emulator


def vk_channel(vk: VkEmulator) -> Channel:
    def settings(url: str) -> Any:
        return make_settings(
            url,
            None,
            vk_group_token=VK_TOKEN,
            vk_secret=VK_SECRET,
            vk_confirmation_code="a1b2c3",
            vk_group_id=vk.group_id,
            vk_api_base=vk.base_url,
            **DASHBOARD,
        )

    async def send(port: int) -> str:
        event = vk.message_new(578716413, TEXT, secret=VK_SECRET)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/vk/callback", json=event) as r:
                assert (r.status, await r.text()) == (200, "ok")
        return f"event:{event['event_id']}"

    return Channel("vk", settings, send)


def whatsapp_channel(wa: WhatsAppEmulator) -> Channel:
    async def send(port: int) -> str:
        webhook = wa.text_webhook("79001234567", TEXT, wamid="wamid.DEAD1")
        body = json.dumps(webhook).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body, APP_SECRET),
        }
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/whatsapp/webhook"
            async with http.post(url, data=body, headers=headers) as r:
                assert (r.status, await r.json()) == (200, {"ok": True})
        return "wamid.DEAD1"

    return Channel("whatsapp", lambda url: wa_settings(url, wa, **DASHBOARD), send)


def form_channel() -> Channel:
    def settings(url: str) -> Any:
        return make_settings(url, None, forms_token=FORM_TOKEN, forms_rate_limit=1000, **DASHBOARD)

    async def send(port: int) -> str:
        fields = {"name": "Анна", "phone": "+7 900 123-45-67", "comment": TEXT}
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/intake/form"
            headers = {"X-Leadkeeper-Token": FORM_TOKEN}
            async with http.post(url, json=fields, headers=headers) as r:
                assert (r.status, await r.json()) == (200, {"ok": True})
        return "form:2026-01-05:"  # the day it came and a hash of the fields

    return Channel("form", settings, send)


def email_channel(mailbox: Mailbox) -> Channel:
    async def send(port: int) -> str:
        await mailbox.append(mail("anna@example.com", "Доставка", TEXT, "<dead1@example.com>"))
        return "dead1@example.com"  # the Message-ID

    return Channel("email", lambda url: mailbox.settings(url, None, **DASHBOARD), send)


# What differs between the channels here (the platform's answer, the inbox key, the
# processor that captures a retried payload) does not depend on the database, and the
# inbox's backoff, listing and retry on PostgreSQL are one code path for all of them:
# on PostgreSQL one channel runs it (the form, the quickest). The channels' own captures
# on PostgreSQL are their test files' (test_channel_vk.py, test_channel_whatsapp.py, …);
# the inbox's on PostgreSQL also test_dead_letters.py's and test_inbox_backoff.py's.
ON_POSTGRESQL = "form"


@pytest.fixture(params=["vk", "whatsapp", "form", "email"])
def channel(request: pytest.FixtureRequest) -> Channel:
    on_postgresql = request.node.callspec.params.get("database_url") == "postgresql"
    if on_postgresql and request.param != ON_POSTGRESQL:
        pytest.skip(
            "the dead-letter path on PostgreSQL is the same for every channel: "
            f"{ON_POSTGRESQL}'s variant runs it"
        )
    if request.param == "vk":
        return vk_channel(request.getfixturevalue("vk"))
    if request.param == "whatsapp":
        return whatsapp_channel(request.getfixturevalue("wa"))
    if request.param == "form":
        return form_channel()
    if not dovecot_running():
        pytest.skip(f"no IMAP server at {IMAP_URL}: start it with `scripts/dovecot-test.sh start`")
    return email_channel(Mailbox(IMAP_URL))


def leadkeeper(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LEADKEEPER_CONFIG": str(ROOT / "leadkeeper.example.yaml"),
        "DATABASE_URL": url,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def inbox_rows(service: Any, channel: str) -> list[InboundUpdate]:
    async with service.ctx.db.session_factory() as db:
        statement = select(InboundUpdate).where(InboundUpdate.channel == channel)
        return list(await db.scalars(statement))


async def test_a_failed_capture_is_kept_retried_listed_and_retried_by_hand(
    database_url: str, channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    fault = Fault(monkeypatch)
    config = channel_team_config(default_region="RU")
    async with running_service(channel.settings(database_url), config, clock=clock) as service:
        key = await channel.send(service.port)

        async def kept() -> bool:
            return len(await inbox_rows(service, channel.name)) == 1

        await wait_until(kept)
        [row] = await inbox_rows(service, channel.name)
        assert row.key.startswith(key) and (row.status, row.attempts) == ("pending", 1)
        assert row.error == "RuntimeError: database said no"
        assert row.next_attempt_at == clock.now() + backoff(1)
        assert "leadkeeper_inbox_failed 0\n" in await metrics(service)

        # Not due yet: the worker leaves it alone.
        service.ctx.wake("inbox")
        await asyncio.sleep(0.3)
        assert (await inbox_rows(service, channel.name))[0].attempts == 1

        for attempt in range(2, MAX_ATTEMPTS + 1):
            clock.advance(backoff(attempt - 1))
            calls = fault.calls

            async def tried(attempt: int = attempt, calls: int = calls) -> bool:
                service.ctx.wake("inbox")
                rows = await inbox_rows(service, channel.name)
                return rows[0].attempts == attempt and rows[0].status != "processing"

            await wait_until(tried)
            [row] = await inbox_rows(service, channel.name)
            assert fault.calls > calls
            if attempt < MAX_ATTEMPTS:
                assert row.status == "pending"
                assert row.next_attempt_at == clock.now() + backoff(attempt)
        assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
        assert "leadkeeper_inbox_failed 1\n" in await metrics(service)

        listing = await asyncio.to_thread(leadkeeper, "inbox", "failed", url=database_url)
        assert listing.returncode == 0, listing.stderr
        [line] = [line for line in listing.stdout.splitlines() if line.split()[0] == str(row.id)]
        assert line.split()[1:3] == [channel.name, str(MAX_ATTEMPTS)]
        assert "RuntimeError: database said no" in line

        base = f"http://127.0.0.1:{service.port}"
        async with session() as http:
            await sign_in(http, base)
            async with http.get(f"{base}/dashboard/inbox") as response:
                page = await response.text()
        assert f'id="failed-{row.id}"' in page and "database said no" in page

        fault.on = False
        retried = await asyncio.to_thread(
            leadkeeper, "inbox", "retry", str(row.id), url=database_url
        )
        assert retried.returncode == 0 and f"queued again: {row.id}" in retried.stdout

        async def captured() -> bool:
            service.ctx.wake("inbox")
            rows = await inbox_rows(service, channel.name)
            return rows[0].status == "done"

        await wait_until(captured)
        async with service.ctx.db.session_factory() as db:
            texts = list(await db.scalars(select(Message.text).where(Message.direction == "in")))
        assert len(texts) == 1 and TEXT in texts[0]
        assert "leadkeeper_inbox_failed 0\n" in await metrics(service)


async def metrics(service: Any) -> str:
    from usecases.monitoring import prometheus_text

    return await prometheus_text(service.ctx)


async def test_old_dead_letters_move_into_the_inbox_as_failed(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await upgrade(url, "0010")
    engine = create_engine(url)
    fields = json.dumps({"name": "Анна", "phone": "+79001234567", "comment": TEXT})
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO dead_letters (channel, payload, error, created_at) "
                "VALUES ('form', :payload, 'RuntimeError()', '2026-01-04 10:00:00.000000')"
            ),
            {"payload": fields},
        )
    await engine.dispose()
    await upgrade(url)
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(
                    InboundUpdate.channel,
                    InboundUpdate.key,
                    InboundUpdate.payload,
                    InboundUpdate.status,
                    InboundUpdate.error,
                )
            )
        ).all()
        tables = (
            await connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
        ).scalars()
        assert "dead_letters" not in set(tables)
    await engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("form", "dead-letter:1", fields, "failed", "RuntimeError()")
    ]
    # And the form's processor takes the legacy payload (the fields alone).
    config = channel_team_config(default_region="RU")
    settings = make_settings(url, None, forms_token=FORM_TOKEN)
    async with running_service(settings, config) as service:
        retried = await asyncio.to_thread(leadkeeper, "inbox", "retry", "--all", url=url)
        assert retried.returncode == 0, retried.stderr

        async def captured() -> bool:
            service.ctx.wake("inbox")
            async with service.ctx.db.session_factory() as db:
                found = list(await db.scalars(select(Message.text)))
            return any(TEXT in (found_text or "") for found_text in found)

        await wait_until(captured)
