"""Hostile and unlucky input over every public endpoint of a real service process.

One `leadkeeper run` subprocess (SQLite, Telegram and MAX by webhook, VK, WhatsApp, Avito,
site forms, the JSON API and the dashboard all on) is fed, per endpoint, bodies built from a valid
payload with one field replaced (200 KB unbroken strings, lone surrogates, deep nesting,
huge numbers), invalid UTF-8, legacy charsets, 2 MB bodies, and lying Content-Encoding
and Content-Type headers; secrets and signatures are right where the endpoint needs them,
so the body reaches the handler. Every answer must be a real answer below 500 (a dropped
connection fails the test), /healthz must answer while each request is handled, the
event-loop lag the service measures must stay under 200 ms, and a valid payload sent after
the run must still be captured. Derandomized, so CI sees the same examples every time.
The strategies and checks are in tests/support/fuzz.py; the API's write routes and the
dashboard's forms are fuzzed in tests/test_fuzz_api.py."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from tests.emulator.avito import AvitoEmulator
from tests.emulator.max import MaxEmulator
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.vk import VkEmulator
from tests.emulator.whatsapp import WhatsAppEmulator, sign
from tests.support.fuzz import (
    FUZZ,
    HOSTILE_STRINGS,
    QUERY_VALUES,
    Body,
    Fuzzed,
    bodies,
    captured,
    check,
    form_body,
    lag_stayed_low,
    post,
)
from tests.support.scale import (
    TOKEN,
    WEBHOOK_SECRET,
    free_port,
    service_env,
    services,
    start_service,
    write_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

HEAD, MANAGER = 900, 101
VK_TOKEN, VK_SECRET, VK_CONFIRM = "vk-token", "vk-secret", "abc123"
WA_TOKEN, WA_SECRET, WA_VERIFY = "wa-token", "wa-app-secret", "wa-verify"
FORM_TOKEN, API_TOKEN, PASSWORD = "form-token", "fuzz-api-token", "fuzz dashboard password"
AVITO_ID, AVITO_KEY, AVITO_SECRET = "avito-id", "avito-client-secret", "fuzz_avito_webhook_secret"
MAX_TOKEN, MAX_SECRET = "max-fuzz-token", "max-fuzz-secret"


@dataclass
class Target(Fuzzed):
    log: Path | None = None
    vk: VkEmulator | None = None
    wa: WhatsAppEmulator | None = None
    avito: AvitoEmulator | None = None
    max: MaxEmulator | None = None


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def target(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    folder = tmp_path_factory.mktemp("fuzz")
    config = write_config(folder / "config.yaml", heads=[HEAD], managers=[MANAGER])
    database = folder / "lk.db"
    async with (
        TelegramEmulator(token=TOKEN) as telegram,
        VkEmulator(VK_TOKEN) as vk,
        WhatsAppEmulator(WA_TOKEN) as wa,
        AvitoEmulator(AVITO_ID, AVITO_KEY) as avito,
        MaxEmulator(MAX_TOKEN) as max_api,
    ):
        port = free_port()
        env = service_env(
            f"sqlite+aiosqlite:///{database}",
            telegram.base_url,
            config,
            webhook_port=port,
            API_TOKEN=API_TOKEN,
            VK_GROUP_TOKEN=VK_TOKEN,
            VK_SECRET=VK_SECRET,
            VK_CONFIRMATION_CODE=VK_CONFIRM,
            VK_GROUP_ID=str(vk.group_id),
            VK_API_BASE=vk.base_url,
            WHATSAPP_TOKEN=WA_TOKEN,
            WHATSAPP_PHONE_NUMBER_ID=wa.phone_number_id,
            WHATSAPP_APP_SECRET=WA_SECRET,
            WHATSAPP_VERIFY_TOKEN=WA_VERIFY,
            WHATSAPP_API_BASE=wa.base_url,
            WHATSAPP_API_VERSION=wa.version,
            AVITO_CLIENT_ID=AVITO_ID,
            AVITO_CLIENT_SECRET=AVITO_KEY,
            AVITO_API_BASE=avito.base_url,
            AVITO_WEBHOOK_URL=f"http://127.0.0.1:{port}/avito/webhook?secret={AVITO_SECRET}",
            MAX_BOT_TOKEN=MAX_TOKEN,
            MAX_API_BASE=max_api.base_url,
            MAX_MODE="webhook",
            MAX_WEBHOOK_URL=f"http://127.0.0.1:{port}/max/webhook",
            MAX_WEBHOOK_SECRET=MAX_SECRET,
            FORMS_TOKEN=FORM_TOKEN,
            FORMS_RATE_LIMIT="100000",
            DASHBOARD_PASSWORD=PASSWORD,
            DASHBOARD_SECRET="s" * 32,
        )
        process = await start_service("fuzz", "all", env, folder, port=port)
        async with services(process):
            await process.wait_ready()
            jar = aiohttp.CookieJar(unsafe=True)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(
                cookie_jar=jar, auto_decompress=False, timeout=timeout
            ) as http:
                yield Target(
                    process.url,
                    database,
                    http,
                    log=process.log,
                    vk=vk,
                    wa=wa,
                    avito=avito,
                    max=max_api,
                )
            log = process.output()
    # aiohttp's own last resort: an exception no middleware answered (a 500 or a drop).
    assert "Error handling request" not in log, log[-4000:]


# ------------------------------------------------------------------ Telegram


def telegram_update(update_id: int, user: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "Иван"},
            "from": {"id": user, "is_bot": False, "first_name": "Иван", "language_code": "ru"},
            "text": text,
        },
    }


TELEGRAM = telegram_update(1, 7001, "Здравствуйте, сколько стоит?")


@FUZZ
@given(body=bodies(TELEGRAM, "application/json"))
async def test_telegram_webhook(target: Target, body: Body) -> None:
    secret = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    await check(target, lambda: post(target, "/telegram/webhook", body, **secret))


async def test_telegram_still_captures(target: Target) -> None:
    update = telegram_update(10**6, 7002, "После бури: нужен расчёт")
    async with target.http.post(
        f"{target.base}/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    ) as response:
        assert response.status == 200
    await captured(target, "После бури: нужен расчёт")
    await lag_stayed_low(target)


# ------------------------------------------------------------------ VK


def vk_event(target_vk: VkEmulator | None, user: int, text: str) -> dict[str, Any]:
    vk = target_vk or VkEmulator(VK_TOKEN)
    event = vk.message_new(user, text, secret=VK_SECRET)
    # Two emulators count event ids alike; a repeated id would be taken as a redelivery.
    event["event_id"] = secrets.token_hex(20)
    return event


VK = vk_event(None, 8001, "Добрый день, есть доставка?")


@FUZZ
@given(body=bodies(VK, "application/json"))
async def test_vk_callback(target: Target, body: Body) -> None:
    await check(target, lambda: post(target, "/vk/callback", body))


async def test_vk_still_captures(target: Target) -> None:
    event = vk_event(target.vk, 8002, "После бури: доставка в Тверь")
    async with target.http.post(f"{target.base}/vk/callback", json=event) as response:
        assert response.status == 200
    await captured(target, "После бури: доставка в Тверь")
    await lag_stayed_low(target)


# ------------------------------------------------------------------ WhatsApp

WHATSAPP = WhatsAppEmulator(WA_TOKEN).text_webhook("79001234567", "Привет, нужна консультация")


@FUZZ
@given(body=bodies(WHATSAPP, "application/json"))
async def test_whatsapp_webhookpost(target: Target, body: Body) -> None:
    signature = {"X-Hub-Signature-256": sign(body.data, WA_SECRET)}
    await check(target, lambda: post(target, "/whatsapp/webhook", body, **signature))


@FUZZ
@given(
    mode=st.one_of(st.just("subscribe"), QUERY_VALUES),
    token=st.one_of(st.just(WA_VERIFY), QUERY_VALUES),
    challenge=QUERY_VALUES,
)
async def test_whatsapp_webhook_verify(
    target: Target, mode: str, token: str, challenge: str
) -> None:
    query = f"hub.mode={mode}&hub.verify_token={token}&hub.challenge={challenge}"
    url = URL(f"{target.base}/whatsapp/webhook?{query}", encoded=True)
    await check(target, lambda: target.http.get(url))


async def test_whatsapp_still_captures(target: Target) -> None:
    body = WhatsAppEmulator.body(target.wa.text_webhook("79005550001", "После бури: окна"))
    headers = {"X-Hub-Signature-256": sign(body, WA_SECRET), "Content-Type": "application/json"}
    async with target.http.post(
        f"{target.base}/whatsapp/webhook", data=body, headers=headers
    ) as response:
        assert response.status == 200
    await captured(target, "После бури: окна")
    await lag_stayed_low(target)


# ------------------------------------------------------------------ Avito

_AVITO = AvitoEmulator(AVITO_ID, AVITO_KEY)
AVITO = _AVITO.buyer_writes(9001, _AVITO.listing("Диван"), "Здравствуйте, диван ещё есть?")


@FUZZ
@given(body=bodies(AVITO, "application/json"), secret=st.sampled_from([AVITO_SECRET] * 3 + [""]))
async def test_avito_webhook(target: Target, body: Body, secret: str) -> None:
    path = f"/avito/webhook?secret={secret}" if secret else "/avito/webhook"
    await check(target, lambda: post(target, path, body))


async def test_avito_still_captures(target: Target) -> None:
    await target.avito.wait_for(lambda: target.avito.subscriptions, 30, "the subscription")
    event = target.avito.buyer_writes(9002, target.avito.listing("Шкаф"), "После бури: шкаф")
    assert await target.avito.deliver(event) == [200]
    await captured(target, "После бури: шкаф")
    await lag_stayed_low(target)


# ------------------------------------------------------------------ MAX

_MAX = MaxEmulator(MAX_TOKEN)
MAX_UPDATE = _MAX.message_created(6001, "Здравствуйте, есть ли доставка?")


@FUZZ
@given(
    body=bodies(MAX_UPDATE, "application/json"),
    secret=st.sampled_from([MAX_SECRET] * 3 + ["", "я", "x" * 7000]),
)
async def test_max_webhook(target: Target, body: Body, secret: str) -> None:
    headers = {"X-Max-Bot-Api-Secret": secret} if secret else {}
    # A non-ASCII header value goes as its UTF-8 bytes, as a client would send it.
    headers = {k: v.encode().decode("latin-1") for k, v in headers.items()}
    await check(target, lambda: post(target, "/max/webhook", body, **headers))


async def test_max_still_captures(target: Target) -> None:
    assert target.max is not None
    await target.max.wait_for(lambda: target.max.subscriptions, 30)
    update = target.max.message_created(6002, "После бури: доставка в Псков")
    # Two factories count message ids alike; a repeated mid would be taken as a redelivery.
    update["message"]["body"]["mid"] = f"mid.{secrets.token_hex(8)}"
    assert await target.max.deliver(update) == [200]
    await captured(target, "После бури: доставка в Псков")
    await lag_stayed_low(target)


# ------------------------------------------------------------------ site forms

FORM = {"name": "Анна", "phone": "+7 900 765-43-21", "email": "a@example.com", "comment": "Окна"}


@FUZZ
@given(body=bodies(FORM, "application/json"), as_form=st.booleans())
async def test_form_intake(target: Target, body: Body, as_form: bool) -> None:
    if as_form and body.content_type and "urlencoded" in body.content_type:
        try:
            fields = json.loads(body.data)
        except ValueError:
            fields = None
        if isinstance(fields, dict):
            text = {str(k): str(v) for k, v in fields.items()}
            body = Body(form_body(text, "utf-8"), body.content_type, body.encoding)
    await check(target, lambda: post(target, f"/intake/form?token={FORM_TOKEN}", body))


async def test_form_still_captures(target: Target) -> None:
    fields = {"name": "Вера", "phone": "+7 900 111-22-33", "comment": "После бури: балкон"}
    async with target.http.post(
        f"{target.base}/intake/form", params={"token": FORM_TOKEN}, json=fields
    ) as response:
        assert response.status == 200, await response.text()
    await captured(target, "После бури: балкон")
    await lag_stayed_low(target)


# ------------------------------------------------------------------ the JSON API

_API_PATHS = st.sampled_from(
    [
        "/api/leads",
        "/api/leads/{value}",
        "/api/complaints",
        "/api/complaints.csv",
        "/api/reports",
        "/api/reports.csv",
        "/api/reports/{value}",
    ]
)
_API_KEYS = st.sampled_from(
    ["channel", "status", "manager_id", "from", "to", "period", "page", "open", "limit", "q"]
)


@FUZZ
@given(
    path=_API_PATHS,
    value=QUERY_VALUES,
    query=st.dictionaries(_API_KEYS, QUERY_VALUES, max_size=3),
    auth=st.sampled_from(["right", "wrong", "none", "long"]),
)
async def test_json_api(
    target: Target, path: str, value: str, query: dict[str, str], auth: str
) -> None:
    headers = {
        "right": {"Authorization": f"Bearer {API_TOKEN}"},
        "wrong": {"Authorization": "Bearer nope"},
        "none": {},
        "long": {"Authorization": "Bearer " + "x" * 7000},
    }[auth]
    tail = "&".join(f"{key}={item}" for key, item in query.items())
    url = URL(f"{target.base}{path.format(value=value or '1')}?{tail}", encoded=True)
    await check(target, lambda: target.http.get(url, headers=headers))


async def test_json_api_still_answers(target: Target) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with target.http.get(f"{target.base}/api/leads", headers=headers) as response:
        assert response.status == 200
        assert isinstance(await response.json(), dict | list)
    await lag_stayed_low(target)


# ------------------------------------------------------------------ dashboard sign-in


async def _login_csrf(target: Target) -> str:
    async with target.http.get(f"{target.base}/dashboard/login") as response:
        match = re.search(r'name="csrf" value="([^"]+)"', await response.text())
    assert match
    return match.group(1)


@FUZZ
@given(
    password=HOSTILE_STRINGS,
    next_page=HOSTILE_STRINGS,
    charset=st.sampled_from(["utf-8", "cp1251", "koi8-r"]),
    body=bodies({"csrf": "x", "password": "y"}, "application/x-www-form-urlencoded"),
    raw=st.booleans(),
)
async def test_dashboard_login(
    target: Target, password: str, next_page: str, charset: str, body: Body, raw: bool
) -> None:
    if not raw:
        csrf = await _login_csrf(target)
        fields = {"csrf": csrf, "password": password, "next": next_page}
        data = "&".join(
            f"{k}={quote(v.encode(charset, 'surrogatepass'), safe='')}"
            if charset == "utf-8"
            else f"{k}={quote(v.encode(charset, 'replace'), safe='')}"
            for k, v in fields.items()
        ).encode("ascii")
        declared = f"application/x-www-form-urlencoded; charset={charset}"
        body = Body(data, declared, None)
    await check(target, lambda: post(target, "/dashboard/login", body))


async def test_dashboard_still_signs_in(target: Target) -> None:
    # Failed sign-ins above may have locked this address out for a while: a fresh client
    # address is not available, so the lock-out answer (429) counts as an answer too.
    csrf = await _login_csrf(target)
    async with target.http.post(
        f"{target.base}/dashboard/login",
        data={"csrf": csrf, "password": PASSWORD, "next": "/dashboard/leads"},
        allow_redirects=False,
    ) as response:
        assert response.status in (303, 429)
    await lag_stayed_low(target)
