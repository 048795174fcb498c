"""The hardened door in front of every body: hostile and unlucky input gets a 4xx with a
reason, never a 5xx, and what is valid is still captured, with its text intact."""

from __future__ import annotations

import gzip
import json
import time
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.door import MAX_DEPTH, BodyRefused, json_depth, loads
from channels.telegram.webhook import TelegramWebhook
from channels.telegram.webhook import add_routes as add_telegram_routes
from config.business import Config
from handlers.http.server import create_app
from storage.models import Contact, Message
from tests.support.forms import TOKEN, URL, all_rows, form_settings
from tests.support.service import running_service
from usecases.context import AppContext


def test_depth_scan_ignores_strings_and_is_exact() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(b"[" * 1000 + b"]" * 1000) == 1000


@pytest.mark.parametrize(
    "body",
    [
        b'"' + b'\\"' * 500_000,  # unterminated, escaped quotes: was quadratic (3.8 s at 40 KB)
        b'{"a": "' + b"x" * 1_000_000 + b'"}',
        b'"' + b"\\a" * 500_000,
        b'"a' * 500_000,
        b"[" + b'"[",' * 250_000 + b"]",
    ],
    ids=["escaped-quotes", "long-string", "escapes", "unterminated", "many-strings"],
)
def test_depth_scan_is_linear_on_a_megabyte(body: bytes) -> None:
    started = time.process_time()
    assert json_depth(body) <= 1
    assert time.process_time() - started < 0.5


def test_loads_refuses_deep_nesting_and_replaces_lone_surrogates() -> None:
    with pytest.raises(BodyRefused):
        loads(b"[" * 1000 + b"]" * 1000)
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    value = loads(b'{"name": "a\\ud800b", "ok": "\\ud83d\\ude00", "k\\udfff": ["\\udc00"]}')
    assert value == {"name": "a\ufffdb", "ok": "\U0001f600", "k\ufffd": ["\ufffd"]}
    with pytest.raises(BodyRefused):
        loads(b'{"a": "\xff"}')


async def test_telegram_webhook_deep_nesting_surrogates_and_encodings(ctx: AppContext) -> None:
    app = create_app(ctx, api_token=None)
    add_telegram_routes(app, TelegramWebhook(ctx, None))
    async with TestClient(TestServer(app)) as client:
        deep = b'{"update_id": 1, "x": ' + b"[" * 1000 + b"]" * 1000 + b"}"
        response = await client.post("/telegram/webhook", data=deep)
        assert response.status == 400 and "nested" in await response.text()
        # aiohttp's parser inflates gzip itself (capped by client_max_size); the door
        # still refuses it, and anything it does not know, with a reason.
        packed = gzip.compress(b'{"update_id": 9}')
        gz = await client.post(
            "/telegram/webhook", data=packed, headers={"Content-Encoding": "gzip"}
        )
        assert gz.status == 415
        lie = await client.post(
            "/telegram/webhook", data=b"{}", headers={"Content-Encoding": "x-lie"}
        )
        assert lie.status == 415
        bad = await client.post("/telegram/webhook", data=b'{"update_id": 2, "a": "\xc3("}')
        assert bad.status == 400
        update = {
            "update_id": 3,
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "A"},
                "text": "lone \\ud800 half",
            },
        }
        body = json.dumps(update).replace("\\\\ud800", "\\ud800").encode()
        ok = await client.post("/telegram/webhook", data=body)
        assert ok.status == 200, await ok.text()


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
async def test_form_in_a_legacy_charset_keeps_its_cyrillic(
    database_url: str, forms_team_config: Config, charset: str
) -> None:
    fields = {"name": "Анна Петрова", "phone": "+7 900 765-43-21", "comment": "Нужны окна"}
    body = "&".join(f"{k}={quote(v, encoding=charset)}" for k, v in fields.items())
    async with running_service(form_settings(database_url), forms_team_config) as service:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{service.port}{URL}",
                params={"token": TOKEN},
                data=body.encode("ascii"),
                headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"},
            ) as response:
                assert response.status == 200, await response.text()
        contacts = await all_rows(service, Contact)
        messages = await all_rows(service, Message)
    assert [c.display_name for c in contacts] == ["Анна Петрова"]
    assert any("Нужны окна" in (m.text or "") for m in messages)


_DEEP = st.integers(65, 3000).map(lambda n: b"[" * n + b"]" * n)
_SURROGATE = st.sampled_from(["\\ud800", "\\udfff", "\\ud83d", "x\\udc00y"]).map(
    lambda s: ('{"name": "' + s + '", "phone": "+79007654321"}').encode()
)
_INVALID_UTF8 = st.sampled_from([b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80", b"\xf0\x28\x8c"]).map(
    lambda junk: b'{"name": "' + junk + b'", "phone": "+79007654321"}'
)
_LEGACY = st.sampled_from(["cp1251", "koi8-r", "latin-1", "utf-16"]).map(
    lambda cs: ("name=Борис&phone=%2B79007654321").encode(cs, "replace")
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(_DEEP, _SURROGATE, _INVALID_UTF8, _LEGACY, st.binary(max_size=500)),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=windows-1251",
            "application/x-www-form-urlencoded; charset=no-such-charset",
            "text/plain; charset=koi8-r",
            "application/json; charset=utf-16",
        ]
    ),
    encoding=st.sampled_from([None, None, "compress", "identity", "x-lie"]),
)
async def test_hostile_bodies_get_no_5xx_and_valid_ones_are_still_captured(
    form_service: str, body: bytes, content_type: str, encoding: str | None
) -> None:
    headers = {"Content-Type": content_type}
    if encoding:
        headers["Content-Encoding"] = encoding
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        async with http.post(
            f"{form_service}{URL}", params={"token": TOKEN}, data=body, headers=headers
        ) as response:
            assert response.status < 500, (response.status, await response.text())
        async with http.post(
            f"{form_service}{URL}",
            params={"token": TOKEN},
            json={"name": "Вера", "phone": "+7 900 111-22-33"},
        ) as response:
            assert response.status == 200, await response.text()
