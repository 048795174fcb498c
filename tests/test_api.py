"""The JSON API over real HTTP, Telegram off."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from config.business import Config
from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.service import API_TOKEN, make_settings, running_service
from usecases.capture import capture

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


async def test_leads_list_filters_paginates_and_details(
    database_url: str, config: Config, clock: ManualClock
) -> None:
    settings = make_settings(database_url, None)
    async with running_service(settings, config, clock=clock) as service:
        base = f"http://127.0.0.1:{service.port}"
        for user in range(1, 6):
            await capture(service.ctx, inbound(user=user, receipt=str(user)))
            clock.advance(timedelta(days=1))
        await capture(service.ctx, inbound(user=9, channel="vk", message=1))
        await capture(service.ctx, inbound(user=1, message=2, text="ещё вопрос"))
        since = (clock.now() - timedelta(days=2, hours=1)).isoformat()

        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["status"] == "ok"
            async with http.get(f"{base}/api/leads") as response:
                assert response.status == 401
            async with http.get(f"{base}/api/leads", headers={"Authorization": "Bearer x"}) as r:
                assert r.status == 401

            async with http.get(f"{base}/api/leads?limit=2", headers=AUTH) as response:
                page = await response.json()
            assert page["total"] == 6 and len(page["items"]) == 2 and page["next_offset"] == 2
            assert page["items"][0]["channel"] == "vk"  # newest first
            async with http.get(f"{base}/api/leads?limit=2&offset=4", headers=AUTH) as r:
                last = await r.json()
            assert len(last["items"]) == 2 and last["next_offset"] is None

            async with http.get(f"{base}/api/leads?channel=telegram", headers=AUTH) as r:
                assert (await r.json())["total"] == 5
            query = {"status": "new", "since": since}
            async with http.get(f"{base}/api/leads", params=query, headers=AUTH) as r:
                recent = await r.json()
            assert recent["total"] == 3

            for bad, reason in (
                ("status=open", "status"),
                ("since=yesterday", "since"),
                ("limit=0", "limit"),
                ("limit=abc", "limit"),
                ("offset=-1", "offset"),
            ):
                async with http.get(f"{base}/api/leads?{bad}", headers=AUTH) as response:
                    assert response.status == 400, bad
                    assert (await response.json())["error"].startswith(reason)

            first_id = page["items"][-1]["id"]
            async with http.get(f"{base}/api/leads", headers=AUTH, params={"limit": 200}) as r:
                everything = await r.json()
            oldest = min(item["id"] for item in everything["items"])
            async with http.get(f"{base}/api/leads/{oldest}", headers=AUTH) as response:
                lead = await response.json()
            assert [m["text"] for m in lead["messages"]] == [
                "Здравствуйте, нужна цена",
                "ещё вопрос",
            ]
            assert lead["contact"]["identities"] == [
                {"channel": "telegram", "external_id": "1", "blocked": False}
            ]
            assert [e["type"] for e in lead["events"]][:2] == ["lead_created", "message_received"]
            assert first_id
            async with http.get(f"{base}/metrics") as response:
                metrics = await response.text()
            assert 'leadkeeper_captured_messages_total{channel="telegram"} 6' in metrics
            assert 'leadkeeper_captured_messages_total{channel="vk"} 1' in metrics
            assert 'leadkeeper_outbox_messages{status="pending"} 6' in metrics
            async with http.get(f"{base}/api/leads/999999", headers=AUTH) as response:
                assert response.status == 404
            async with http.get(f"{base}/api/leads/abc", headers=AUTH) as response:
                assert response.status == 400
