"""The JSON API other systems build on, over real HTTP: list items with names, the team,
write endpoints acting as a named staff member through the Telegram use cases and their
checks, UTF-8 JSON, and the OpenAPI document that every real response is checked against."""

from __future__ import annotations

from typing import Any

import aiohttp
import jsonschema
from openapi_spec_validator import validate

from config.business import parse_config
from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.service import API_TOKEN, make_settings, running_service
from tests.support.team import MONDAY_10, TEAM_CONFIG
from usecases.capture import capture
from usecases.complaints import open_from_customer

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def _check(doc: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """The real answer matches what the document says of this path, method and status."""
    answers = doc["paths"][path][method]["responses"]
    assert str(status) in answers, (path, method, status, body)
    schema = answers[str(status)]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(body)


async def test_api_reads_writes_and_matches_its_openapi_document(
    database_url: str, clock: ManualClock
) -> None:
    clock.set(MONDAY_10)
    config = parse_config(TEAM_CONFIG)
    async with running_service(make_settings(database_url, None), config, clock=clock) as service:
        ctx, base = service.ctx, f"http://127.0.0.1:{service.port}"
        ctx.distribute_after_capture = True
        lead_id = (await capture(ctx, inbound(user=1, name="Мария", text="Нужен тендер"))).lead_id
        await open_from_customer(ctx, "telegram", "1", "Мне нагрубили")

        async with aiohttp.ClientSession(headers=AUTH) as http:

            async def call(method: str, path: str, template: str, **kw: Any) -> tuple[int, Any]:
                async with http.request(method, base + path, **kw) as response:
                    raw = await response.read()
                    assert response.charset == "utf-8"
                    assert b"\\u04" not in raw  # Cyrillic as UTF-8, never \u-escaped
                    body = await response.json()
                _check(doc, template, method.lower(), response.status, body)
                return response.status, body

            async with http.get(f"{base}/api/openapi.json") as response:
                doc = await response.json()
            validate(doc)
            _check(doc, "/api/openapi.json", "get", 200, doc)

            _, managers = await call("GET", "/api/managers", "/api/managers")
            ids = {item["name"]: item["id"] for item in managers["items"]}
            assert set(ids) == {"Head", "Sergey", "Julia"}
            head, sergey, julia = ids["Head"], ids["Sergey"], ids["Julia"]

            _, page = await call("GET", "/api/leads", "/api/leads")
            assert page["items"][0]["contact_name"] == "Мария"
            _, complaints = await call("GET", "/api/complaints", "/api/complaints")
            assert complaints["items"][0]["text"] == "Мне нагрубили"
            await call("GET", "/api/leads?status=open", "/api/leads")
            await call("GET", "/api/leads/99999", "/api/leads/{lead_id}")

            def as_(manager_id: int) -> dict[str, str]:
                return {"X-Leadkeeper-Manager": str(manager_id)}

            lead = f"/api/leads/{lead_id}"
            reply = {"text": "Здравствуйте, Мария!"}
            # Offered to Sergey, not accepted: he cannot reply yet; Julia never may.
            status, _ = await call(
                "POST",
                f"{lead}/replies",
                "/api/leads/{lead_id}/replies",
                json=reply,
                headers=as_(sergey),
            )
            assert status == 409
            status, _ = await call(
                "POST",
                f"{lead}/replies",
                "/api/leads/{lead_id}/replies",
                json=reply,
                headers=as_(julia),
            )
            assert status == 403
            status, _ = await call(
                "POST",
                f"{lead}/owner",
                "/api/leads/{lead_id}/owner",
                json={"manager_id": julia},
                headers=as_(sergey),
            )
            assert status == 403  # heads only
            status, body = await call(
                "POST",
                f"{lead}/owner",
                "/api/leads/{lead_id}/owner",
                json={"manager_id": sergey},
                headers=as_(head),
            )
            assert status == 200 and body["manager_id"] == sergey

            status, body = await call(
                "POST",
                f"{lead}/replies",
                "/api/leads/{lead_id}/replies",
                json=reply,
                headers=as_(sergey),
            )
            assert status == 200
            assert [m["text"] for m in body["messages"] if m["direction"] == "out"][-1] == (
                "Здравствуйте, Мария!"
            )
            status, body = await call(
                "POST",
                f"{lead}/comments",
                "/api/leads/{lead_id}/comments",
                json={"text": "Просит скидку"},
                headers=as_(sergey),
            )
            assert status == 200 and body["events"][-1]["type"] == "comment"
            status, body = await call(
                "POST",
                f"{lead}/stage",
                "/api/leads/{lead_id}/stage",
                json={"stage": "qualified"},
                headers=as_(sergey),
            )
            assert status == 200 and body["status"] == "qualified"
            status, _ = await call(
                "POST",
                f"{lead}/stage",
                "/api/leads/{lead_id}/stage",
                json={"stage": "qualified"},
                headers=as_(sergey),
            )
            assert status == 409  # already there
            status, body = await call(
                "POST",
                f"{lead}/stage",
                "/api/leads/{lead_id}/stage",
                json={"stage": "lost", "reason": "price"},
                headers=as_(sergey),
            )
            assert status == 200 and body["status"] == "lost" and not body["is_open"]
            status, _ = await call(
                "POST",
                f"{lead}/replies",
                "/api/leads/{lead_id}/replies",
                json=reply,
                headers=as_(sergey),
            )
            assert status == 409  # closed

            for kwargs, expected in (
                ({"json": reply}, 400),  # nobody named
                ({"json": reply, "headers": as_(99999)}, 403),
                ({"data": "not json", "headers": as_(sergey)}, 400),
                ({"json": ["a list"], "headers": as_(sergey)}, 400),
                ({"json": {"text": "  "}, "headers": as_(sergey)}, 400),
            ):
                status, _ = await call(
                    "POST", f"{lead}/replies", "/api/leads/{lead_id}/replies", **kwargs
                )
                assert status == expected, kwargs
            status, _ = await call(
                "POST",
                f"{lead}/stage",
                "/api/leads/{lead_id}/stage",
                json={"stage": "new"},
                headers=as_(sergey),
            )
            assert status == 400
            status, _ = await call(
                "POST",
                "/api/leads/99999/comments",
                "/api/leads/{lead_id}/comments",
                json={"text": "x"},
                headers=as_(sergey),
            )
            assert status == 404
