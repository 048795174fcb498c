"""Hostile and unlucky input over every public endpoint of a real service process.

One `leadkeeper run` subprocess (SQLite, Telegram by webhook, VK, WhatsApp, Avito, site
forms, the JSON API and the dashboard all on) is fed, per endpoint, bodies built from a valid
payload with one field replaced (200 KB unbroken strings, lone surrogates, deep nesting,
huge numbers), invalid UTF-8, legacy charsets, 2 MB bodies, and lying Content-Encoding
and Content-Type headers; secrets and signatures are right where the endpoint needs them,
so the body reaches the handler. Every answer must be a real answer below 500 (a dropped
connection fails the test), /healthz must answer while each request is handled, the
event-loop lag the service measures must stay under 200 ms, and a valid payload sent after
the run must still be captured. Derandomized, so CI sees the same examples every time."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import re
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from tests.emulator.avito import AvitoEmulator
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.vk import VkEmulator
from tests.emulator.whatsapp import WhatsAppEmulator, sign
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
LONG = 200_000
MAX_LAG = 0.2
FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Target:
    base: str
    database: Path
    log: Path
    vk: VkEmulator
    wa: WhatsAppEmulator
    avito: AvitoEmulator
    http: aiohttp.ClientSession
    examples: int = 0


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
                yield Target(process.url, database, process.log, vk, wa, avito, http)
            log = process.output()
    # aiohttp's own last resort: an exception no middleware answered (a 500 or a drop).
    assert "Error handling request" not in log, log[-4000:]


# ------------------------------------------------------------------ what is sent


@dataclass(frozen=True)
class Body:
    data: bytes
    content_type: str | None
    encoding: str | None

    def __repr__(self) -> str:  # a falsifying example of 2 MB would drown the report
        head = self.data[:120]
        return f"Body({head!r}…[{len(self.data)} bytes], {self.content_type!r}, {self.encoding!r})"


_DEEP_MARK = "\x00deep\x00"

_HOSTILE_STRINGS = st.one_of(
    st.sampled_from(["a", "я", "😀", "\\", '"', "<", "%", "&"]).map(lambda c: c * LONG),
    st.sampled_from(["\ud800", "x\udfffy", "\ud83d", "😀\udc00", "\ufffe", "\x00"]),
    st.text(max_size=40),
)
_HOSTILE_VALUES = st.one_of(
    _HOSTILE_STRINGS,
    st.integers(65, 1500).map(lambda depth: f"{_DEEP_MARK}{depth}"),
    st.sampled_from([10**30, -(10**30), 2**63, -1, 0, 1.5e308, None, True, [], {}]),
    st.dictionaries(_HOSTILE_STRINGS, st.integers(), max_size=2),
)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list) and value:
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [path]


def _replaced(payload: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(payload)
    holder = copied
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return copied


def _serialised(payload: Any, escaped: bool) -> bytes:
    if escaped:  # lone surrogates as \ud800 escapes
        data = json.dumps(payload).encode()
    else:  # lone surrogates as raw bytes: invalid UTF-8
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    for match in set(re.findall(rb'"\\u0000deep\\u0000(\d+)"|"\x00deep\x00(\d+)"', data)):
        depth = int(match[0] or match[1])
        mark = b"\\u0000deep\\u0000" if match[0] else _DEEP_MARK.encode()
        data = data.replace(b'"' + mark + str(depth).encode() + b'"', b"[" * depth + b"]" * depth)
    return data


def _form_body(fields: dict[str, str], charset: str) -> bytes:
    pairs = (
        f"{key}={quote(value.encode(charset, 'replace'), safe='')}" for key, value in fields.items()
    )
    return "&".join(pairs).encode("ascii")


_CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-16",
        "application/json; charset=no-such-charset",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=windows-1251",
        "application/x-www-form-urlencoded; charset=koi8-r",
        "multipart/form-data; boundary=zzz",
        "application/octet-stream",
    ]
)
_ENCODINGS = st.sampled_from(
    [None, None, "gzip", "gzip-lie", "deflate", "br", "x-lie", "identity", "gzip, identity"]
)


@st.composite
def bodies(draw: st.DrawFn, valid: Any, natural_type: str) -> Body:
    """A valid payload with one field made hostile, or something worse, under lying or
    legacy headers."""
    kind = draw(
        st.sampled_from(["field", "field", "field", "deep", "utf8", "legacy", "huge", "binary"])
    )
    if kind == "field":
        path = draw(st.sampled_from(_leaves(valid)))
        value = draw(_HOSTILE_VALUES)
        data = _serialised(_replaced(valid, path, value), escaped=draw(st.booleans()))
    elif kind == "deep":
        depth = draw(st.integers(65, 5000))
        data = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    elif kind == "utf8":
        junk = draw(st.sampled_from([b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80", b"\xf0\x28\x8c"]))
        text = json.dumps(valid).encode()
        data = text.replace(b'"', b'"' + junk, 2) if b'"' in text else junk
    elif kind == "legacy":
        charset = draw(st.sampled_from(["cp1251", "koi8-r"]))
        fields = {"name": "Борис Ёлкин", "phone": "+79007654321", "comment": "Нужна смета"}
        data = (
            _form_body(fields, charset)
            if draw(st.booleans())
            else json.dumps(fields, ensure_ascii=False).encode(charset)
        )
    elif kind == "huge":
        data = b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    else:
        data = draw(st.binary(max_size=300))
    content_type = draw(st.one_of(st.just(natural_type), _CONTENT_TYPES))
    encoding = draw(_ENCODINGS)
    if encoding == "gzip":
        data = gzip.compress(data)
    elif encoding == "gzip-lie":
        encoding = "gzip"
    return Body(data, content_type, encoding)


# ------------------------------------------------------------------ how it is checked


async def _lag_max(target: Target) -> float:
    async with target.http.get(f"{target.base}/metrics") as response:
        text = await response.text()
    match = re.search(r"^leadkeeper_event_loop_busy_max_seconds ([0-9.e-]+)$", text, re.M)
    assert match, text[-2000:]
    return float(match.group(1))


async def _healthy(target: Target) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(f"{target.base}/healthz") as response:
            assert response.status == 200


async def check(target: Target, send: Callable[[], Any]) -> None:
    """The request gets a real answer below 500 while /healthz answers alongside."""

    async def request() -> tuple[int, str]:
        async with send() as response:
            return response.status, (await response.read())[:300].decode("utf-8", "replace")

    (status, text), _ = await asyncio.gather(request(), _healthy(target))
    assert status < 500, (status, text)
    target.examples += 1
    if target.examples % 10 == 0:
        assert await _lag_max(target) < MAX_LAG


async def lag_stayed_low(target: Target) -> None:
    lag = await _lag_max(target)
    assert lag < MAX_LAG, f"event loop stalled for {lag:.3f}s"


def _headers(body: Body, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = dict(extra or {})
    if body.content_type is not None:
        headers["Content-Type"] = body.content_type
    if body.encoding is not None:
        headers["Content-Encoding"] = body.encoding
    return headers


def _post(target: Target, path: str, body: Body, **extra: str) -> Any:
    return target.http.post(
        f"{target.base}{path}", data=body.data, headers=_headers(body, extra or None)
    )


async def captured(target: Target, text: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """A message with this text is stored (read from the service's SQLite file)."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(target.database) as connection:
            rows = connection.execute(
                "select count(*) from messages where direction = 'in' and text like ?",
                (f"%{text}%",),
            ).fetchone()
        if rows[0]:
            return
        assert time.monotonic() < deadline, f"{text!r} was not captured"
        await asyncio.sleep(0.2)


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
    await check(target, lambda: _post(target, "/telegram/webhook", body, **secret))


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
    await check(target, lambda: _post(target, "/vk/callback", body))


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
async def test_whatsapp_webhook_post(target: Target, body: Body) -> None:
    signature = {"X-Hub-Signature-256": sign(body.data, WA_SECRET)}
    await check(target, lambda: _post(target, "/whatsapp/webhook", body, **signature))


_QUERY_VALUES = st.one_of(
    st.text(max_size=30).map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe="")),
    st.sampled_from(
        ["%ED%A0%80", "%FF%FE", "%C3(", "9" * 40, "-1", "1e9", "0x10", "%00", "", "%", "%%"]
    ),
    st.sampled_from(["a", "%D1%8F"]).map(lambda c: c * (LONG // len(c))),
)


@FUZZ
@given(
    mode=st.one_of(st.just("subscribe"), _QUERY_VALUES),
    token=st.one_of(st.just(WA_VERIFY), _QUERY_VALUES),
    challenge=_QUERY_VALUES,
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
    await check(target, lambda: _post(target, path, body))


async def test_avito_still_captures(target: Target) -> None:
    await target.avito.wait_for(lambda: target.avito.subscriptions, 30, "the subscription")
    event = target.avito.buyer_writes(9002, target.avito.listing("Шкаф"), "После бури: шкаф")
    assert await target.avito.deliver(event) == [200]
    await captured(target, "После бури: шкаф")
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
            body = Body(_form_body(text, "utf-8"), body.content_type, body.encoding)
    await check(target, lambda: _post(target, f"/intake/form?token={FORM_TOKEN}", body))


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
    value=_QUERY_VALUES,
    query=st.dictionaries(_API_KEYS, _QUERY_VALUES, max_size=3),
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
    password=_HOSTILE_STRINGS,
    next_page=_HOSTILE_STRINGS,
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
    await check(target, lambda: _post(target, "/dashboard/login", body))


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
