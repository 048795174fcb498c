"""Each platform emulator's rate-limit and refused-credentials answers, on demand, in the
platform's own shape: what the senders in channels/*/ are written against."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.emulator.avito import AvitoEmulator
from tests.emulator.max import MaxEmulator
from tests.emulator.telegram import TelegramEmulator
from tests.emulator.vk import VkEmulator
from tests.emulator.whatsapp import WhatsAppEmulator

TG_TOKEN = "123456:TEST"


async def _post(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any, Any]:
    async with http.post(url, **kwargs) as answer:
        return answer.status, await answer.json(content_type=None), answer.headers


async def test_telegram_flood_wait_and_unauthorized() -> None:
    async with TelegramEmulator(token=TG_TOKEN) as tg, aiohttp.ClientSession() as http:
        send = f"{tg.base_url}/bot{TG_TOKEN}/sendMessage"
        tg.rate_limit_next(retry_after=3, chat_id=5)
        status, body, _ = await _post(http, send, json={"chat_id": 6, "text": "other chat"})
        assert status == 200
        status, body, _ = await _post(http, send, json={"chat_id": 5, "text": "x"})
        assert (status, body) == (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            },
        )
        assert (await _post(http, send, json={"chat_id": 5, "text": "x"}))[0] == 200
        tg.reject_auth()
        status, body, _ = await _post(http, f"{tg.base_url}/bot{TG_TOKEN}/getMe")
        assert (status, body) == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        tg.accept_auth()
        assert (await _post(http, f"{tg.base_url}/bot{TG_TOKEN}/getMe"))[0] == 200
        assert [m.params["text"] for m in tg.sent_messages()] == ["other chat", "x"]


async def test_vk_error_6_over_http_200_and_error_5() -> None:
    async with VkEmulator("vk-token") as vk, aiohttp.ClientSession() as http:
        form = {"access_token": "vk-token", "v": "5.199", "peer_id": "7", "random_id": "1"}
        url = f"{vk.base_url}/method/messages.send"
        vk.rate_limit_next()
        status, body, _ = await _post(http, url, data={**form, "message": "x"})
        assert status == 200 and body["error"]["error_code"] == 6
        assert body["error"]["error_msg"] == "Too many requests per second"
        assert vk.sent == []
        assert (await _post(http, url, data={**form, "message": "x"}))[1] == {"response": 1001}
        vk.reject_auth()
        status, body, _ = await _post(http, f"{vk.base_url}/method/users.get", data=form)
        assert status == 200 and body["error"]["error_code"] == 5


async def test_whatsapp_throttling_without_a_hint_and_expired_token() -> None:
    async with WhatsAppEmulator("wa-token") as wa, aiohttp.ClientSession() as http:
        url = f"{wa.base_url}/{wa.version}/{wa.phone_number_id}/messages"
        auth = {"Authorization": "Bearer wa-token"}
        message = {"messaging_product": "whatsapp", "to": "79001234567", "text": {"body": "x"}}
        wa.rate_limit_next(code=130429)
        status, body, headers = await _post(http, url, json=message, headers=auth)
        assert status == 429 and "Retry-After" not in headers
        error = body["error"]
        assert (error["code"], error["type"], error["message"]) == (
            130429,
            "OAuthException",
            "(#130429) Rate limit hit",
        )
        assert error["error_data"]["messaging_product"] == "whatsapp" and wa.sent == []
        wa.rate_limit_next(code=80007)
        assert (await _post(http, url, json=message, headers=auth))[1]["error"]["code"] == 80007
        wa.reject_auth()
        status, body, _ = await _post(http, url, json=message, headers=auth)
        assert status == 401 and body["error"]["code"] == 190
        assert body["error"]["type"] == "OAuthException"


async def test_max_too_many_requests_and_verify_token() -> None:
    async with MaxEmulator("max-token") as max_api, aiohttp.ClientSession() as http:
        url = f"{max_api.base_url}/messages?user_id=7"
        auth = {"Authorization": "max-token"}
        max_api.rate_limit_next(retry_after=2)
        status, body, headers = await _post(http, url, json={"text": "x"}, headers=auth)
        assert (status, body["code"], headers["Retry-After"]) == (429, "too.many.requests", "2")
        assert max_api.sent == []
        max_api.reject_auth()
        async with http.get(f"{max_api.base_url}/me", headers=auth) as answer:
            assert answer.status == 401
            assert (await answer.json())["code"] == "verify.token"


async def test_avito_429_with_retry_after_and_refused_keys() -> None:
    async with AvitoEmulator("id", "secret") as avito, aiohttp.ClientSession() as http:
        chat = avito.chat_for(7, avito.listing("Диван"))
        form = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
        token = (await _post(http, f"{avito.base_url}/token", data=form))[1]["access_token"]
        path = f"/messenger/v1/accounts/{avito.account_id}/chats/{chat.chat_id}/messages"
        send = {"message": {"text": "x"}, "type": "text"}
        auth = {"Authorization": f"Bearer {token}"}
        avito.rate_limit_next(retry_after=1)
        status, body, headers = await _post(http, avito.base_url + path, json=send, headers=auth)
        assert (status, headers["Retry-After"]) == (429, "1")
        assert body == {"error": {"code": 429, "message": "Too Many Requests"}}
        assert avito.sent == []
        avito.reject_auth()
        status, body, _ = await _post(http, avito.base_url + path, json=send, headers=auth)
        assert (status, body["error"]["code"]) == (401, 401)
        status, body, _ = await _post(http, f"{avito.base_url}/token", data=form)
        assert body["error"] == "invalid_client"
        avito.accept_auth()
        assert (await _post(http, f"{avito.base_url}/token", data=form))[0] == 200
