"""A lead's amount over real HTTP: `amount` in the API's leads, POST /api/leads/{id}/amount
with its checks (400 for what is no amount, 403/409 as for the other writes), every answer
matched against the OpenAPI document; won with an amount through the API tells it in the
lead.won webhook; and the dashboard's amount form on the lead page, behind its CSRF."""

from __future__ import annotations

from typing import Any

import aiohttp
import jsonschema
from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import LeadEvent, OutboxMessage
from tests.support.capture import inbound
from tests.support.dashboard import PASSWORD, csrf_of, session, sign_in
from tests.support.service import API_TOKEN, make_settings, running_service
from tests.support.team import MONDAY_10, SENIOR, TEAM_CONFIG, lead_row
from usecases import assignment
from usecases.capture import capture

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
AMOUNT = "/api/leads/{lead_id}/amount"
STAGE = "/api/leads/{lead_id}/stage"
HOOK = {"url": "http://127.0.0.1:9/hook", "secret": "s3cret-s3cret-s3cret", "events": ["lead.won"]}


def _check(doc: dict[str, Any], path: str, status: int, body: Any) -> None:
    answers = doc["paths"][path]["post" if path != "/api/leads" else "get"]["responses"]
    assert str(status) in answers, (path, status, body)
    schema = answers[str(status)]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(body)


async def test_amount_endpoint_checks_values_and_won_tells_the_webhook(
    database_url: str, clock: ManualClock
) -> None:
    clock.set(MONDAY_10)
    config = parse_config({**TEAM_CONFIG, "webhooks": [HOOK]})
    async with running_service(make_settings(database_url, None), config, clock=clock) as service:
        ctx, base = service.ctx, f"http://127.0.0.1:{service.port}"
        ctx.distribute_after_capture = True
        first = (await capture(ctx, inbound(user=1, name="Мария", text="Нужен тендер"))).lead_id
        second = (await capture(ctx, inbound(user=2, name="Пётр", text="Нужен тендер"))).lead_id
        lost = (await capture(ctx, inbound(user=3, name="Анна", text="Нужен тендер"))).lead_id
        for lead_id in (first, second, lost):
            assert await assignment.accept(ctx, lead_id, SENIOR) is assignment.Verdict.DONE

        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.get(f"{base}/api/openapi.json") as response:
                doc = await response.json()
            async with http.get(f"{base}/api/managers") as response:
                ids = {item["name"]: item["id"] for item in (await response.json())["items"]}

            async def post(
                lead_id: int, path: str, who: str = "Sergey", **kw: Any
            ) -> tuple[int, Any]:
                headers = {"X-Leadkeeper-Manager": str(ids[who])}
                url = base + path.format(lead_id=lead_id)
                async with http.post(url, headers=headers, **kw) as response:
                    body = await response.json()
                _check(doc, path, response.status, body)
                return response.status, body

            for value, reason in (
                ("сто тысяч", "expected a number"),
                ("1e5", "expected a number"),
                (True, "expected a number"),
                ([150000], "expected a number"),
                ({"value": 150000}, "expected a number"),
                (-5000, "must not be negative"),
                ("-5000", "expected a number"),
                (0, "more than zero"),
                (10**13, "at most 1000000000000"),
                (1e300, "at most 1000000000000"),
                (150000.555, "at most 2 decimal places in RUB"),
            ):
                status, body = await post(first, AMOUNT, json={"amount": value})
                assert (status, reason in body["error"]) == (400, True), (value, body)
            for raw in ('{"amount": NaN}', '{"amount": Infinity}', "{}", "[1]"):
                status, _ = await post(first, AMOUNT, data=raw)
                assert status == 400, raw
            status, body = await post(first, AMOUNT, json={"amount": 5, "currency": "USD"})
            assert status == 400 and "kept in RUB" in body["error"]
            assert (await lead_row(ctx, first)).amount_minor is None

            status, body = await post(first, AMOUNT, who="Julia", json={"amount": 100})
            assert status == 403
            status, body = await post(first, AMOUNT, json={"amount": "150000.50"})
            assert status == 200 and (body["amount"], body["currency"]) == (150000.5, "RUB")
            assert body["events"][-1]["type"] == "amount_set"
            assert body["events"][-1]["data"] == {"from": None, "to": 150000.5, "currency": "RUB"}
            status, body = await post(first, AMOUNT, json={"amount": 150000.5})
            assert status == 200 and body["events"][-1]["type"] == "amount_set"  # no new event
            status, body = await post(first, AMOUNT, json={"amount": None})
            assert status == 200 and (body["amount"], body["currency"]) == (None, None)

            # Won with an amount through the stage endpoint; then a correction by the head.
            status, body = await post(second, STAGE, json={"stage": "lost", "amount": 5})
            assert status == 400 and "only with the stage won" in body["error"]
            status, body = await post(second, STAGE, json={"stage": "won", "amount": 99000})
            assert status == 200 and body["status"] == "won" and body["amount"] == 99000
            status, body = await post(second, AMOUNT, who="Julia", json={"amount": 1})
            assert status == 403
            status, body = await post(second, AMOUNT, who="Head", json={"amount": 98500})
            assert status == 200 and body["amount"] == 98500
            assert body["events"][-1]["actor"] == f"manager:{ids['Head']}"

            status, _ = await post(lost, STAGE, json={"stage": "lost", "reason": "price"})
            assert status == 200
            status, body = await post(lost, AMOUNT, json={"amount": 100})
            assert status == 409
            status, _ = await post(99999, AMOUNT, json={"amount": 100})
            assert status == 404

            async with http.get(f"{base}/api/leads") as response:
                page = await response.json()
            _check(doc, "/api/leads", response.status, page)
            amounts = {item["id"]: (item["amount"], item["currency"]) for item in page["items"]}
            assert amounts == {first: (None, None), second: (98500, "RUB"), lost: (None, None)}

    async with ctx.db.session_factory() as db:
        [hook] = await db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        [closed] = await db.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == second, LeadEvent.type == "closed")
        )
    won = hook.payload["body"]
    assert won["event"] == "lead.won" and won["data"]["lead"]["id"] == second
    assert (won["data"]["lead"]["amount"], won["data"]["lead"]["currency"]) == (99000, "RUB")
    assert (closed.data["amount"], closed.data["currency"]) == (99000, "RUB")


async def test_the_lead_page_sets_the_amount_with_its_csrf_token(
    database_url: str, clock: ManualClock
) -> None:
    clock.set(MONDAY_10)
    settings = make_settings(
        database_url, None, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, parse_config(TEAM_CONFIG), clock=clock) as service:
        ctx, base = service.ctx, f"http://127.0.0.1:{service.port}"
        ctx.distribute_after_capture = True
        lead_id = (await capture(ctx, inbound(user=1, name="Мария", text="Окна"))).lead_id
        page_url = f"{base}/dashboard/leads/{lead_id}"
        async with session() as http:
            await sign_in(http, base)
            async with http.get(page_url) as response:
                page = await response.text()
            assert 'id="amount">не указана<' in page
            token = csrf_of(page)

            async def post(data: dict[str, str]) -> tuple[int, str, str]:
                async with http.post(
                    f"{page_url}/amount", data=data, allow_redirects=False
                ) as response:
                    where = response.headers.get("Location", "")
                    return response.status, where, await response.text()

            assert (await post({"amount": "150000"}))[0] == 403  # no token
            status, where, _ = await post({"csrf": token, "amount": "150 000,50"})
            assert (status, where) == (303, f"/dashboard/leads/{lead_id}?done=amount_saved")
            async with http.get(base + where) as response:
                page = await response.text()
            assert 'id="amount">150\u00a0000,50\u00a0₽<' in page
            assert "Сумма сделки сохранена" in page
            assert (await lead_row(ctx, lead_id)).amount_minor == 15_000_050

            status, _, text = await post({"csrf": token, "amount": "сто тысяч"})
            assert status == 400 and "Не получилось прочитать сумму" in text
            status, _, text = await post({"csrf": token, "amount": "-1"})
            assert status == 400 and "не может быть отрицательной" in text
            assert (await lead_row(ctx, lead_id)).amount_minor == 15_000_050

            # The field as the page fills it is read back as the same amount.
            value = 'name="amount" id="amount-input" inputmode="decimal" size="16"'
            assert value in page and 'value="150\u00a0000,50\u00a0₽"' in page
            assert (await post({"csrf": token, "amount": "150\u00a0000,50\u00a0₽"}))[0] == 303
            assert (await post({"csrf": token, "amount": ""}))[0] == 303
            assert (await lead_row(ctx, lead_id)).amount_minor is None
            assert (await post({"csrf": token, "amount": "1"}))[0] == 303
            async with http.get(f"{base}/dashboard/leads/99999") as response:
                assert response.status == 404
            status, _, _ = await post({"csrf": token, "amount": "1 000"})
            assert status == 303
        async with ctx.db.session_factory() as db:
            events = list(
                await db.scalars(
                    select(LeadEvent)
                    .where(LeadEvent.lead_id == lead_id, LeadEvent.type == "amount_set")
                    .order_by(LeadEvent.id)
                )
            )
    assert [(e.data["from"], e.data["to"]) for e in events] == [
        (None, 150000.5),
        (150000.5, None),
        (None, 1),
        (1, 1000),
    ]
    assert {e.actor for e in events} == {"dashboard"}
