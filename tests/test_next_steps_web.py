"""Next steps on the web, over real HTTP: POST /api/leads/{id}/next-step as a named staff
member (a typed or ISO time, kind, note; done), every answer checked against the OpenAPI
document; the dashboard's lead page shows the step and sets it with a small form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jsonschema
import pytest

from app.runtime import Service
from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.dashboard import AUTH, PASSWORD, session, sign_in
from tests.support.next_steps import MONDAY_10, SERGEY, step_config
from tests.support.service import make_settings, running_service
from usecases import assignment
from usecases.capture import capture

PATH = "/api/leads/{lead_id}/next-step"


@pytest.fixture
async def service(database_url: str, clock: ManualClock) -> AsyncIterator[Service]:
    clock.set(MONDAY_10)
    settings = make_settings(
        database_url, None, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, step_config(), clock=clock) as running:
        running.ctx.distribute_after_capture = True
        yield running


async def _leads(service: Service) -> tuple[int, int]:
    """Мария's lead, accepted by Сергей; Пётр's, offered to him and not accepted."""
    ctx = service.ctx
    maria = (await capture(ctx, inbound(user=1, name="Мария", text="Нужны окна"))).lead_id
    assert await assignment.accept(ctx, maria, SERGEY) is assignment.Verdict.DONE
    petr = (await capture(ctx, inbound(user=2, name="Пётр", text="Нужны двери"))).lead_id
    return maria, petr


async def test_the_api_sets_and_completes_the_next_step(service: Service) -> None:
    maria, petr = await _leads(service)
    base = f"http://127.0.0.1:{service.port}"
    async with aiohttp.ClientSession(headers=AUTH) as http:
        async with http.get(f"{base}/api/openapi.json") as response:
            doc = await response.json()
        async with http.get(f"{base}/api/managers") as response:
            ids = {item["name"]: item["id"] for item in (await response.json())["items"]}

        async def post(lead_id: int, body: Any, manager: str = "Сергей") -> tuple[int, Any]:
            headers = {"X-Leadkeeper-Manager": str(ids[manager])}
            url = f"{base}/api/leads/{lead_id}/next-step"
            async with http.post(url, json=body, headers=headers) as response:
                answer = await response.json()
            responses = doc["paths"][PATH]["post"]["responses"]
            schema = responses[str(response.status)]["content"]["application/json"]["schema"]
            jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(
                answer
            )
            return response.status, answer

        typed = {"when": "завтра 10:00", "kind": "meeting", "note": "Обсудить монтаж"}
        status, lead = await post(maria, typed)
        assert status == 200
        assert lead["next_step"]["kind"] == "meeting"
        assert lead["next_step"]["due_at"] == "2026-01-06T07:00:00+00:00"  # 10:00 Moscow
        assert lead["next_step"]["note"] == "Обсудить монтаж"
        assert lead["events"][-1]["type"] == "next_step_set"

        # Without an offset, the team's time; the kind and note carry over.
        status, lead = await post(maria, {"at": "2026-01-07T15:00"})
        assert status == 200
        assert lead["next_step"]["due_at"] == "2026-01-07T12:00:00+00:00"
        assert (lead["next_step"]["kind"], lead["next_step"]["note"]) == (
            "meeting",
            "Обсудить монтаж",
        )

        for body, expected in (
            ({"when": "когда-нибудь"}, 400),
            ({"at": "2026-01-01T10:00:00+00:00"}, 400),  # passed
            ({"at": "not a time"}, 400),
            ({"at": "2026-01-07T15:00", "when": "завтра"}, 400),
            ({"when": "завтра", "kind": "fax"}, 400),
            ({"when": "x" * 101}, 400),
            ({}, 400),
        ):
            status, answer = await post(maria, body)
            assert status == expected, (body, answer)
        status, _ = await post(maria, {"when": "завтра"}, manager="Юлия")
        assert status == 403
        status, _ = await post(petr, {"when": "завтра"})
        assert status == 409  # offered, not accepted yet

        status, lead = await post(maria, {"done": True})
        assert status == 200 and lead["next_step"] is None
        assert lead["events"][-1]["type"] == "next_step_done"
        status, _ = await post(maria, {"done": True})
        assert status == 409  # nothing open any more

        async with http.get(f"{base}/metrics") as response:
            assert 'leadkeeper_timer_lag_seconds{work="next_steps"} 0.0' in await response.text()


async def test_the_dashboard_shows_and_sets_the_next_step(service: Service) -> None:
    maria, petr = await _leads(service)
    base = f"http://127.0.0.1:{service.port}"
    async with session() as http:
        csrf = await sign_in(http, base)
        async with http.get(f"{base}/dashboard/leads/{maria}") as response:
            page = await response.text()
        assert "Следующий шаг" in page and "Не назначен." in page
        assert 'type="datetime-local"' in page and "отправка КП" in page

        form = {"csrf": csrf, "when": "2026-01-08T11:30", "kind": "offer", "note": "Прайс"}
        async with http.post(f"{base}/dashboard/leads/{maria}/next-step", data=form) as response:
            page = await response.text()
        assert "Следующий шаг назначен." in page
        assert "<b>отправка КП</b> · 08.01.2026 11:30 · Прайс" in page

        bad = {**form, "when": "вчера вечером"}
        async with http.post(f"{base}/dashboard/leads/{maria}/next-step", data=bad) as response:
            assert "Не удалось прочитать время" in await response.text()
        async with http.post(
            f"{base}/dashboard/leads/{maria}/next-step", data={**form, "kind": "fax"}
        ) as response:
            assert response.status == 400
        async with http.post(
            f"{base}/dashboard/leads/{maria}/next-step/done", data={"csrf": csrf}
        ) as response:
            page = await response.text()
        assert "Шаг отмечен как сделанный." in page and "Не назначен." in page

        # A lead nobody accepted yet gets no form, and a post is refused.
        async with http.get(f"{base}/dashboard/leads/{petr}") as response:
            page = await response.text()
        assert 'type="datetime-local"' not in page and "шаг не назначить" in page
        async with http.post(f"{base}/dashboard/leads/{petr}/next-step", data=form) as response:
            assert "Не получилось" in await response.text()
        # Without the session's token nothing changes.
        async with http.post(
            f"{base}/dashboard/leads/{maria}/next-step", data={**form, "csrf": "forged"}
        ) as response:
            assert response.status == 403
