"""The lead page's forms and polling over real HTTP (no browser), on SQLite and
PostgreSQL: the anonymous get nothing (the poll says where to sign in), the administrator
moves the stage but works no lead (he has no staff row to act as), the poll answers 204
while nothing changed, and bad input is a 4xx with the reason."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from app.runtime import Service
from config.business import parse_config
from domain.clock import ManualClock
from tests.support.dashboard import PASSWORD, csrf_of, seed, session, sign_in
from tests.support.service import make_settings, running_service
from tests.support.team import MONDAY_10, TEAM_CONFIG
from tests.support.web import lead_of


@pytest.fixture
async def dashboard(
    database_url: str, clock: ManualClock
) -> AsyncIterator[tuple[str, dict[str, int], Service]]:
    clock.set(MONDAY_10)
    settings = make_settings(
        database_url, None, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, parse_config(TEAM_CONFIG), clock=clock) as service:
        yield f"http://127.0.0.1:{service.port}", await seed(service, clock), service


async def test_the_lead_page_over_http(dashboard) -> None:  # type: ignore[no-untyped-def]
    base, ids, service = dashboard
    petr = ids["petr"]
    page_url = f"{base}/dashboard/leads/{petr}"
    async with session() as http:
        async with http.get(f"{page_url}/conversation", allow_redirects=False) as response:
            assert response.status == 401
            assert response.headers["HX-Redirect"].startswith("/dashboard/login?next=")
            assert "Цена?" not in await response.text()
        async with http.post(f"{page_url}/stage", data={"stage": "contacted"}) as response:
            assert response.status == 403

        csrf = await sign_in(http, base)
        async with http.get(page_url) as response:
            page = await response.text()
        assert 'id="stage-form"' in page and 'id="reply-form"' not in page
        assert "ВКонтакте" in page
        # The class and the source as people say them, not as the config spells them.
        assert "Класс: обычный" in page and "standard" not in page
        version = re.search(r'data-version="(\w+)"', page)
        assert version is not None
        async with http.get(f"{page_url}/conversation") as response:
            assert response.status == 200 and "Цена?" in await response.text()
        async with http.get(f"{page_url}/conversation", params={"v": version[1]}) as response:
            assert response.status == 204

        # The administrator: the stage yes; what needs a staff member to act as, no.
        for action, form in (
            ("reply", {"text": "Здравствуйте"}),
            ("comment", {"text": "Заметка"}),
            ("won", {"amount": ""}),
            ("lost", {"outcome": "lost", "reason": "price"}),
            ("owner", {"manager_id": "me"}),
        ):
            async with http.post(f"{page_url}/{action}", data={"csrf": csrf, **form}) as response:
                assert response.status == 403, action
                assert "войдите по ссылке от бота" in await response.text(), action
        async with http.post(
            f"{page_url}/stage", data={"csrf": csrf, "stage": "contacted"}, allow_redirects=False
        ) as response:
            assert response.status == 303
            back = response.headers["Location"]
            assert back == f"/dashboard/leads/{petr}?done=stage_moved#work"
        assert (await lead_of(service, petr)).status == "contacted"
        async with http.get(base + back) as response:
            page = await response.text()
        assert "Этап изменён." in page and "Этап: «новый» → «связались»" in page
        assert "администратор" in page
        async with http.post(
            f"{page_url}/stage", data={"csrf": csrf, "stage": "contacted"}
        ) as response:
            assert response.status == 409 and "уже не в том состоянии" in await response.text()

        # Bad input: a 4xx with the reason, nothing changed.
        for path, form, status, reason in (
            (f"{page_url}/stage", {"stage": "new"}, 400, "выберите этап"),
            (f"{page_url}/stage", {"stage": "won"}, 400, "выберите этап"),
            (f"{page_url}/lost", {"reason": "нет такой"}, 400, "выберите причину"),
            (f"{page_url}/owner", {"manager_id": "x"}, 400, "выберите сотрудника"),
            (f"{page_url}/reply", {"text": "   "}, 400, "напишите текст ответа"),
            (f"{page_url}/won", {"amount": "сто тысяч"}, 400, "Не получилось прочитать сумму"),
            (f"{base}/dashboard/leads/abc/reply", {"text": "a"}, 400, "Неверный запрос"),
            (f"{base}/dashboard/leads/99999/comment", {"text": "a"}, 404, "Не найдено"),
        ):
            async with http.post(path, data={"csrf": csrf, **form}) as response:
                assert response.status == status, (path, form)
                assert reason in await response.text(), (path, form)
        async with http.get(f"{base}/dashboard/leads/99999/conversation") as response:
            assert response.status == 404
        assert (await lead_of(service, petr)).status == "contacted"
        assert csrf_of(page) == csrf
