"""Every /api id and enum-like filter is validated as a value: out-of-range ids, garbage
channels and statuses are a 400 with a reason, never a 500."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from handlers.http.server import create_app
from usecases.context import AppContext

TOKEN = "t"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (f"/api/leads/{HUGE}", "lead id"),
        ("/api/leads/9223372036854775808", "lead id"),
        ("/api/leads/-1", "lead id"),
        ("/api/leads/0", "lead id"),
        ("/api/leads/%D9%A1%D9%A2", "lead id"),  # Arabic-Indic digits
        ("/api/leads/1_000", "lead id"),
        (f"/api/reports?manager_id={HUGE}", "manager_id"),
        ("/api/reports?manager_id=%D9%A1", "manager_id"),
        (f"/api/reports.csv?manager_id={HUGE}", "manager_id"),
        (f"/api/reports/channels?manager_id={HUGE}", "manager_id"),
        ("/api/leads?channel=%00garbage", "channel"),
        ("/api/leads?channel=fax", "channel"),
        ("/api/leads?status=nope", "status"),
        (f"/api/leads?limit={HUGE}", "limit"),
        (f"/api/leads?offset={HUGE}", "offset"),
        ("/api/leads?since=99999-01-01", "since"),
        ("/api/complaints?status=nope", "status"),
        ("/api/complaints.csv?status=nope", "status"),
    ],
)
async def test_bad_parameters_are_400_with_a_reason(
    ctx: AppContext, path: str, reason: str
) -> None:
    app = create_app(ctx, api_token=TOKEN)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path, headers=AUTH)
        assert response.status == 400, (path, response.status, await response.text())
        assert reason in await response.text()


async def test_good_parameters_still_work(ctx: AppContext) -> None:
    app = create_app(ctx, api_token=TOKEN)
    async with TestClient(TestServer(app)) as client:
        for path in ("/api/leads?channel=vk", "/api/leads/2147483647"):
            response = await client.get(path, headers=AUTH)
            assert response.status in (200, 404), (path, await response.text())
        response = await client.get("/api/reports?manager_id=123456", headers=AUTH)
        assert response.status == 404
