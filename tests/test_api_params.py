"""Every /api id and enum-like filter is validated as a value: out-of-range ids, garbage
channels and statuses are a 400 with a reason, never a 500."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from handlers.http import params
from handlers.http.server import create_app
from tests.support.dashboard import csrf_of
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


def test_parse_number_takes_plain_digits_in_range_only() -> None:
    assert params.parse_number("42", "n", 1, 100) == 42
    for raw in (None, "", "²", "١٢", " 4", "4 ", "1_0", "-1", "0", "101", "9" * 40, "0x10"):
        with pytest.raises(params.BadParameter):
            params.parse_number(raw, "n", 1, 100)
    assert params.id_or_none(str(params.MAX_ID)) == params.MAX_ID
    assert params.id_or_none(str(params.MAX_ID + 1)) is None


DASHBOARD_PASSWORD = "a dashboard password"


async def _signed_in(client: TestClient) -> str:  # type: ignore[type-arg]
    page = await (await client.get("/dashboard/login")).text()
    csrf = csrf_of(page)
    form = {"csrf": csrf, "password": DASHBOARD_PASSWORD, "next": "/dashboard/complaints"}
    response = await client.post("/dashboard/login", data=form, allow_redirects=False)
    assert response.status == 303
    return csrf_of(await (await client.get("/dashboard/complaints")).text())


# Ids past the 32-bit id columns were a DataError (500) on PostgreSQL, "²" passed
# str.isdigit() and made int() raise (500) on both stores.
@pytest.mark.parametrize("bad", ["3000000000", "%C2%B2", "%D9%A1", "99999999999999999999999"])
async def test_dashboard_numbers_are_400(ctx: AppContext, bad: str) -> None:
    app = create_app(
        ctx, api_token=TOKEN, dashboard_password=DASHBOARD_PASSWORD, dashboard_secret="s" * 32
    )
    async with TestClient(TestServer(app)) as client:
        csrf = await _signed_in(client)
        response = await client.get(f"/dashboard/leads/{bad}")
        assert response.status == 400, await response.text()
        plain = unquote(bad)
        for path, form in [
            (f"/dashboard/leads/{bad}/amount", {"amount": "100"}),
            (f"/dashboard/leads/{bad}/next-step/done", {}),
            (f"/dashboard/complaints/{bad}/resolve", {"resolution": "ok"}),
            ("/dashboard/complaints/1/assign", {"owner": plain}),
            ("/dashboard/inbox/retry", {"id": plain}),
            ("/dashboard/board/move", {"lead_id": plain, "stage": "contacted"}),
        ]:
            response = await client.post(path, data={"csrf": csrf, **form})
            assert 400 <= response.status < 500, (path, response.status, await response.text())
        response = await client.get(f"/dashboard/leads?manager={bad}")
        assert response.status == 400, await response.text()


@pytest.mark.parametrize("token", ["токен", "\u00ff" * 40, "x" * 7000])
async def test_a_wrong_bearer_of_any_shape_is_401(ctx: AppContext, token: str) -> None:
    # Non-ASCII made hmac.compare_digest on str raise TypeError: a 500 on a guess.
    app = create_app(ctx, api_token=TOKEN)
    async with TestClient(TestServer(app)) as client:
        raw = f"Bearer {token}".encode().decode("latin-1")  # its UTF-8 bytes on the wire
        response = await client.get("/api/leads", headers={"Authorization": raw})
        assert response.status == 401, await response.text()
