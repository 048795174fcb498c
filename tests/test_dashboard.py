"""The dashboard and the reports API over real HTTP (no browser): sign-in, CSRF, nothing
for the anonymous, filters and search, a lead's conversation, complaints, team, reports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from app.runtime import Service
from config.business import parse_config
from domain.clock import ManualClock
from storage.models import Complaint, OutboxMessage
from tests.support.capture import inbound
from tests.support.dashboard import AUTH, PASSWORD, csrf_of, seed, session, sign_in
from tests.support.service import make_settings, running_service
from tests.support.team import MONDAY_10, TEAM_CONFIG
from usecases.capture import capture
from usecases.report_load import period_of, report_as_json


@pytest.fixture
async def dashboard(
    database_url: str, clock: ManualClock
) -> AsyncIterator[tuple[str, dict[str, int], Service]]:
    clock.set(MONDAY_10)
    settings = make_settings(
        database_url, None, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, parse_config(TEAM_CONFIG), clock=clock) as service:
        ids = await seed(service, clock)
        yield f"http://127.0.0.1:{service.port}", ids, service


async def test_anonymous_visitors_see_nothing_and_change_nothing(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, ids, _ = dashboard
    async with session() as http:
        for path in (
            "/dashboard/leads",
            f"/dashboard/leads/{ids['maria']}",
            "/dashboard/leads.csv",
            "/dashboard/complaints",
            "/dashboard/team",
            "/dashboard/reports",
            "/dashboard/reports.csv",
            "/dashboard/reports/chart.png",
        ):
            async with http.get(base + path, allow_redirects=False) as response:
                assert response.status == 303, path
                assert response.headers["Location"].startswith("/dashboard/login?next=")
                assert "Мария" not in await response.text()
        async with http.get(f"{base}/dashboard/leads") as response:  # follows to the form
            page = await response.text()
            assert "Мария" not in page and 'type="password"' in page
        # A forged post with the login page's own token but no signed-in session.
        async with http.post(
            f"{base}/dashboard/complaints/{ids['complaint']}/resolve",
            data={"csrf": csrf_of(page), "resolution": "done"},
        ) as response:
            assert response.status == 403


async def test_sign_in_refuses_a_wrong_password_and_a_missing_token(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = dashboard
    async with session() as http:
        async with http.get(f"{base}/dashboard/login") as response:
            token = csrf_of(await response.text())
            assert response.headers["X-Frame-Options"] == "DENY"
        form = {"csrf": token, "password": "wrong"}
        async with http.post(f"{base}/dashboard/login", data=form) as response:
            assert response.status == 401 and "Неверный пароль" in await response.text()
        async with http.post(f"{base}/dashboard/login", data={"password": PASSWORD}) as response:
            assert response.status == 403
        bad_origin = {"Origin": "https://evil.example"}
        async with http.post(
            f"{base}/dashboard/login",
            data={"csrf": token, "password": PASSWORD},
            headers=bad_origin,
        ) as response:
            assert response.status == 403
        async with http.get(f"{base}/dashboard/leads", allow_redirects=False) as response:
            assert response.status == 303
        for _ in range(4):
            async with http.post(f"{base}/dashboard/login", data=form) as response:
                pass
        # Five wrong guesses: even the right password waits now.
        async with http.post(
            f"{base}/dashboard/login", data={"csrf": token, "password": PASSWORD}
        ) as response:
            assert response.status == 429


async def test_pages_filters_lead_complaints_team_and_reports(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, ids, service = dashboard
    async with session() as http:
        csrf = await sign_in(http, base)
        async with http.get(f"{base}/dashboard/leads") as response:
            page = await response.text()
            assert "Мария Иванова" in page and "Пётр" in page
            # A customer's name is text, never markup.
            assert "Анна &lt;script&gt;" in page and "<script>" not in page
        async with http.get(f"{base}/dashboard/leads", params={"channel": "vk"}) as response:
            page = await response.text()
            assert "Пётр" in page and "Мария" not in page
        async with http.get(f"{base}/dashboard/leads", params={"q": "иванова"}) as response:
            page = await response.text()
            assert "Мария Иванова" in page and "Пётр" not in page
        async with http.get(f"{base}/dashboard/leads", params={"status": "won"}) as response:
            assert "Мария" in (page := await response.text()) and "Пётр" not in page
        for bad in ({"status": "open"}, {"from": "yesterday"}, {"page": "0"}):
            async with http.get(f"{base}/dashboard/leads", params=bad) as response:
                assert response.status == 400 and "Неверный запрос" in await response.text()
        async with http.get(f"{base}/dashboard/leads.csv", params={"channel": "vk"}) as response:
            lines = (await response.text()).splitlines()
            assert lines[0].startswith("\ufeffНомер;Этап") and len(lines) == 2
            assert "Пётр" in lines[1]

        async with http.get(f"{base}/dashboard/leads/{ids['maria']}") as response:
            page = await response.text()
            assert "Нужен тендер на окна" in page and "Пришлём расчёт" in page
            assert "Спасибо, ждём" in page and "Лид принят" in page and "Sergey" in page
            assert "accepted" not in page and "manager:" not in page
        async with http.get(f"{base}/dashboard/leads/99999") as response:
            assert response.status == 404
        async with http.get(f"{base}/dashboard/leads/abc") as response:
            assert response.status == 400

        complaint = ids["complaint"]
        async with http.get(f"{base}/dashboard/complaints") as response:
            assert "Мне нагрубили" in await response.text()
        url = f"{base}/dashboard/complaints/{complaint}/resolve"
        async with http.post(url, data={"resolution": "Извинились"}) as response:
            assert response.status == 403  # no CSRF token
        async with http.post(url, data={"csrf": csrf, "resolution": "  "}) as response:
            assert response.status == 400
        async with http.post(
            f"{base}/dashboard/complaints/{complaint}/assign", data={"csrf": csrf, "owner": "2"}
        ) as response:
            assert "назначена" in await response.text()
        async with http.post(url, data={"csrf": csrf, "resolution": "Извинились, скидка 10%"}) as r:
            assert r.status == 200 and "решена" in await r.text()
        async with http.post(url, data={"csrf": csrf, "resolution": "again"}) as response:
            assert "уже закрыта" in await response.text()
        async with service.ctx.db.session_factory() as db:
            row = await db.get(Complaint, complaint)
            assert row is not None and row.status == "resolved"
            told = await db.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key == f"complaint-resolved:{complaint}"
                )
            )
            assert "скидка 10%" in told.one().payload["text"]

        async with http.get(f"{base}/dashboard/team") as response:
            page = await response.text()
            assert "Sergey" in page and "Julia" in page and "на смене" in page

        async with http.get(f"{base}/dashboard/reports", params={"period": "week"}) as response:
            page = await response.text()
            assert response.status == 200 and 'id="chart"' in page and "Sergey" in page
        async with http.get(f"{base}/dashboard/reports/chart.png?period=week") as response:
            assert response.content_type == "image/png"
            assert (await response.read()).startswith(b"\x89PNG")
        async with http.get(f"{base}/dashboard/reports.csv?period=week") as response:
            rows = (await response.text()).splitlines()
            assert rows[0].startswith("\ufeffСрез;Номер менеджера;Имя;Лидов")
            assert rows[1].startswith("команда;;;3;1")
        async with http.get(f"{base}/dashboard/reports?period=fortnight") as response:
            assert response.status == 400

        # English on request.
        async with http.get(f"{base}/dashboard/lang/en?next=/dashboard/team") as response:
            assert "on shift" in await response.text()

        async with http.post(f"{base}/dashboard/logout", data={"csrf": csrf}) as response:
            assert 'type="password"' in await response.text()
        async with http.get(f"{base}/dashboard/leads", allow_redirects=False) as response:
            assert response.status == 303


async def test_reports_api_gives_the_same_numbers(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, _, service = dashboard
    expected = await report_as_json(service.ctx, period_of(service.ctx, "week"))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/reports?period=week") as response:
            assert response.status == 401
        async with http.get(f"{base}/api/reports?period=week", headers=AUTH) as response:
            data = await response.json()
        assert data["team"] == expected["team"] and data["managers"] == expected["managers"]
        assert data["team"]["leads"] == 3 and data["team"]["outcomes"]["won"] == 1
        async with http.get(f"{base}/api/reports/funnel?period=week", headers=AUTH) as response:
            funnel = await response.json()
        assert funnel["team"] == {"funnel": expected["team"]["funnel"]}
        sergey = next(row["manager_id"] for row in data["managers"] if row["name"] == "Sergey")
        params = {"period": "week", "manager_id": str(sergey)}
        async with http.get(f"{base}/api/reports", params=params, headers=AUTH) as response:
            own = await response.json()
        assert own["manager_id"] == sergey and [m["name"] for m in own["managers"]] == ["Sergey"]
        for query, status, reason in (
            ("period=fortnight", 400, "period"),
            ("from=2026-13-01", 400, "period"),
            ("manager_id=abc", 400, "manager_id"),
            ("manager_id=999", 404, "manager 999"),
        ):
            async with http.get(f"{base}/api/reports?{query}", headers=AUTH) as response:
                assert response.status == status
                assert reason in (await response.json())["error"]
        async with http.get(f"{base}/api/reports/nope", headers=AUTH) as response:
            assert response.status == 404
        async with http.get(f"{base}/api/reports.csv?period=week", headers=AUTH) as response:
            assert (await response.text()).startswith("\ufeffСрез;")


async def test_without_a_password_only_staff_links_sign_in(
    sqlite_url: str, clock: ManualClock
) -> None:
    """No DASHBOARD_PASSWORD: the dashboard shows nothing to anyone not signed in, its
    sign-in page points staff to /web and has no password form, and a password post is
    refused."""
    settings = make_settings(sqlite_url, None)
    async with running_service(settings, parse_config(TEAM_CONFIG), clock=clock) as service:
        await capture(service.ctx, inbound(user=1, name="Мария"))
        base = f"http://127.0.0.1:{service.port}"
        async with session() as http:
            for path in ("/dashboard/leads", "/dashboard/board", "/dashboard/reports.csv"):
                async with http.get(f"{base}{path}", allow_redirects=False) as response:
                    assert response.status == 303
                    assert response.headers["Location"].startswith("/dashboard/login?next=")
            async with http.get(f"{base}/dashboard/login") as response:
                page = await response.text()
                assert response.status == 200
                assert "/web" in page and 'name="password"' not in page and "Мария" not in page
            async with http.post(
                f"{base}/dashboard/login",
                data={"csrf": "none", "password": "anything", "next": "/dashboard/leads"},
                allow_redirects=False,
            ) as response:
                assert response.status == 403
                assert "Мария" not in await response.text()
            async with http.get(f"{base}/dashboard/leads", allow_redirects=False) as response:
                assert response.status == 303
