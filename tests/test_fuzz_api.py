"""Hostile and unlucky input on the JSON API's write routes and the dashboard's forms,
against a real service process (Telegram by webhook, the API and the dashboard), on SQLite
and, when LEADKEEPER_TEST_DATABASE_URL is set, on PostgreSQL.

Every POST route of handlers/http/api_write.py (there are no PATCH routes) gets, with the
right bearer token and a real staff member's id, bodies built from a valid one with one
field made hostile (tests/support/fuzz.py: 200 KB strings, lone surrogates, NUL, deep
nesting, huge numbers, invalid UTF-8, legacy charsets, 2 MB, lying headers), and hostile
lead ids, manager headers and bearer tokens. Every POST form of handlers/http/dashboard*.py
gets, signed in with the right CSRF token, hostile field values in UTF-8, windows-1251 or
koi8-r, and hostile ids in the path, or a raw hostile body. Each answer is below 500
while /healthz answers, the loop's busy lag stays under 200 ms, and afterwards a reply, a
stage change and a dashboard form still work and a new message is still captured."""

from __future__ import annotations

import contextlib
import re
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

from tests.emulator.telegram import TelegramEmulator
from tests.support.fuzz import (
    FEW,
    HOSTILE_STRINGS,
    QUERY_VALUES,
    Body,
    Fuzzed,
    bodies,
    captured,
    check,
    lag_stayed_low,
    post,
)
from tests.support.scale import (
    TOKEN,
    WEBHOOK_SECRET,
    free_port,
    fresh_database,
    service_env,
    services,
    start_service,
    write_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

HEAD, MANAGER = 900, 101
API_TOKEN, PASSWORD = "fuzz-api-token", "fuzz dashboard password"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@dataclass
class Api(Fuzzed):
    lead_id: int = 0
    manager_id: int = 0
    csrf: str = ""


def _update(update_id: int, user: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Иван"},
            "from": {"id": user, "is_bot": False, "first_name": "Иван", "language_code": "ru"},
            "text": text,
        },
    }


async def _telegram(api: Fuzzed, update: dict[str, Any]) -> None:
    async with api.http.post(
        f"{api.base}/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    ) as response:
        assert response.status == 200


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def _sign_in(api: Api) -> None:
    async with api.http.get(f"{api.base}/dashboard/login") as response:
        token = _csrf(await response.text())
    form = {"csrf": token, "password": PASSWORD, "next": "/dashboard/complaints"}
    async with api.http.post(
        f"{api.base}/dashboard/login", data=form, allow_redirects=False
    ) as response:
        assert response.status == 303, await response.text()
    async with api.http.get(f"{api.base}/dashboard/complaints") as response:
        api.csrf = _csrf(await response.text())


@contextlib.asynccontextmanager
async def _store(kind: str, folder: Path) -> AsyncIterator[tuple[str, Path | str]]:
    if kind == "sqlite":
        database = folder / "lk.db"
        yield f"sqlite+aiosqlite:///{database}", database
        return
    async with fresh_database() as url:  # skips without PostgreSQL
        yield url, url


@pytest_asyncio.fixture(loop_scope="module", scope="module", params=["sqlite", "postgresql"])
async def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    folder = tmp_path_factory.mktemp("fuzz-api")
    config = write_config(folder / "config.yaml", heads=[HEAD], managers=[MANAGER])
    async with (
        _store(request.param, folder) as (url, database),
        TelegramEmulator(token=TOKEN) as telegram,
    ):
        port = free_port()
        env = service_env(
            url,
            telegram.base_url,
            config,
            webhook_port=port,
            API_TOKEN=API_TOKEN,
            DASHBOARD_PASSWORD=PASSWORD,
            DASHBOARD_SECRET="s" * 32,
        )
        process = await start_service("fuzz-api", "all", env, folder, port=port)
        async with services(process):
            await process.wait_ready()
            jar = aiohttp.CookieJar(unsafe=True)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(
                cookie_jar=jar, auto_decompress=False, timeout=timeout
            ) as http:
                target = Api(process.url, database, http)
                await _telegram(target, _update(1, 7001, "Здравствуйте, нужен расчёт"))
                await captured(target, "нужен расчёт")
                target.lead_id = await _a_lead(target)
                async with http.get(f"{process.url}/api/managers", headers=AUTH) as response:
                    managers = (await response.json())["items"]
                target.manager_id = next(m["id"] for m in managers if m["role"] == "manager")
                await _sign_in(target)
                yield target
            log = process.output()
    assert "Error handling request" not in log, log[-4000:]


async def _a_lead(api: Fuzzed) -> int:
    async with api.http.get(f"{api.base}/api/leads", headers=AUTH) as response:
        items = (await response.json())["items"]
    assert items
    return int(items[0]["id"])


# ------------------------------------------------------------------ the API's writes

WRITES = {
    "replies": {"text": "Здравствуйте! Пришлём расчёт сегодня."},
    "comments": {"text": "Клиент просит перезвонить после обеда"},
    "stage": {"stage": "contacted", "comment": "Созвонились", "reason": None},
    "owner": {"manager_id": 1},
    "next-step": {"when": "завтра 10:00", "kind": "call", "note": "Перезвонить"},
    "amount": {"amount": "150000.50", "currency": "RUB"},
}
_MANAGER_HEADERS = st.one_of(st.just("right"), QUERY_VALUES, HOSTILE_STRINGS)
_LEAD_IDS = st.one_of(st.just("right"), QUERY_VALUES)
_BEARERS = st.sampled_from(["right"] * 4 + ["wrong", "none", "long", "cyrillic", "surrogate"])


def _header_value(value: str) -> str:
    """What a client can put in a header: its UTF-8 bytes."""
    raw = value.encode("utf-8", "surrogatepass")[:8000].decode("latin-1")
    # Control characters (NUL, CR, LF) are what no HTTP client sends in a header.
    return "".join(ch for ch in raw if ch >= " " and ch != "\x7f")


def _bearer(kind: str) -> dict[str, str]:
    value = {
        "right": API_TOKEN,
        "wrong": "nope",
        "long": "x" * 7000,
        "cyrillic": "токен",
        "surrogate": "\udcff\udc80",
    }.get(kind)
    return {} if value is None else {"Authorization": _header_value(f"Bearer {value}")}


def _write_strategy(route: str) -> st.SearchStrategy[Body]:
    return bodies(WRITES[route], "application/json")


@pytest.mark.parametrize("route", list(WRITES))
@FEW
@given(data=st.data(), lead=_LEAD_IDS, manager=_MANAGER_HEADERS, bearer=_BEARERS)
async def test_api_write(
    api: Api, route: str, data: st.DataObject, lead: str, manager: str, bearer: str
) -> None:
    body = data.draw(_write_strategy(route))
    lead_part = str(api.lead_id) if lead == "right" else (lead or "1")
    headers = _bearer(bearer)
    headers["X-Leadkeeper-Manager"] = (
        str(api.manager_id) if manager == "right" else _header_value(manager)
    )
    url = URL(f"{api.base}/api/leads/{lead_part}/{route}", encoded=True)
    await check(
        api,
        lambda: (
            post(api, str(url), body, **headers) if False else _post_url(api, url, body, headers)
        ),
    )


def _post_url(api: Api, url: URL, body: Body, headers: dict[str, str]) -> Any:
    if body.content_type is not None:
        headers = {**headers, "Content-Type": body.content_type}
    if body.encoding is not None:
        headers = {**headers, "Content-Encoding": body.encoding}
    return api.http.post(url, data=body.data, headers=headers)


async def test_api_writes_still_work(api: Api) -> None:
    headers = {**AUTH, "X-Leadkeeper-Manager": str(api.manager_id)}
    await _telegram(api, _update(10**6, 7002, "После бури: нужна смета"))
    await captured(api, "После бури: нужна смета")
    lead_id = await _a_lead(api)
    async with api.http.post(
        f"{api.base}/api/leads/{lead_id}/comments",
        json={"text": "После бури: комментарий"},
        headers=headers,
    ) as response:
        assert response.status == 200, await response.text()
        assert "После бури: комментарий" in await response.text()
    await lag_stayed_low(api)


# ------------------------------------------------------------------ the dashboard's forms

# Each form with the fields a real page sends; {id} is a lead (or complaint) id.
FORMS = {
    "/dashboard/board/move": {"lead_id": "{id}", "stage": "contacted"},
    "/dashboard/board/accept": {"lead_id": "{id}"},
    "/dashboard/leads/{id}/next-step": {"at": "2030-01-01T10:00", "kind": "call", "note": "n"},
    "/dashboard/leads/{id}/next-step/done": {},
    "/dashboard/leads/{id}/amount": {"amount": "150 000"},
    "/dashboard/complaints/{id}/assign": {"owner": "1"},
    "/dashboard/complaints/{id}/resolve": {"resolution": "Извинились, вернули деньги"},
    "/dashboard/inbox/retry": {"id": "all"},
    # With a wrong CSRF token only, so the fuzzing session is not ended.
    "/dashboard/logout": {},
    "/dashboard/logout/everywhere": {},
    "/dashboard/login/{id}": {},
}
_SESSION_ENDERS = ("/dashboard/logout", "/dashboard/logout/everywhere")
_FIELD_VALUES = st.one_of(st.just(None), HOSTILE_STRINGS, QUERY_VALUES.map(lambda v: v[:1000]))


def _encoded(fields: dict[str, str], charset: str) -> bytes:
    errors = "surrogatepass" if charset == "utf-8" else "replace"
    pairs = (
        f"{quote(k, safe='')}={quote(v.encode(charset, errors), safe='')}"
        for k, v in fields.items()
    )
    return "&".join(pairs).encode("ascii")


@pytest.mark.parametrize("path", list(FORMS))
@FEW
@given(
    data=st.data(),
    path_id=_LEAD_IDS,
    charset=st.sampled_from(["utf-8", "cp1251", "koi8-r"]),
    raw=st.sampled_from([False, False, False, True]),
)
async def test_dashboard_form(
    api: Api, path: str, data: st.DataObject, path_id: str, charset: str, raw: bool
) -> None:
    fields = {key: value.replace("{id}", str(api.lead_id)) for key, value in FORMS[path].items()}
    for key in list(fields):
        hostile = data.draw(_FIELD_VALUES, label=key)
        if hostile is not None:
            fields[key] = hostile
    fields["csrf"] = "wrong" if path in _SESSION_ENDERS else api.csrf
    where = path.replace("{id}", str(api.lead_id) if path_id == "right" else (path_id or "1"))
    url = URL(f"{api.base}{where}", encoded=True)
    if raw:
        body = data.draw(bodies(fields, "application/x-www-form-urlencoded"), label="body")
    else:
        declared = f"application/x-www-form-urlencoded; charset={charset}"
        body = Body(_encoded(fields, charset), declared, None)
    await check(api, lambda: _post_url(api, url, body, {}))


async def test_dashboard_forms_still_work(api: Api) -> None:
    lead_id = await _a_lead(api)
    async with api.http.get(f"{api.base}/dashboard/leads/{lead_id}") as response:
        assert response.status == 200, "the fuzzing session was lost"
    async with api.http.post(
        f"{api.base}/dashboard/leads/{lead_id}/amount",
        data={"csrf": api.csrf, "amount": "120 000"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303, await response.text()
    headers = AUTH
    async with api.http.get(f"{api.base}/api/leads/{lead_id}", headers=headers) as response:
        assert (await response.json())["amount"] is not None
    await lag_stayed_low(api)
