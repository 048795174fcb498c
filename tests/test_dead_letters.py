"""Dead letters of the inbox: a payload kept as failed is listed (use case, CLI, dashboard,
/metrics) and can be queued again, by id or all at once, with a fresh count of attempts."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from config.business import parse_config
from domain.clock import SystemClock
from storage.db import create_engine, create_session_factory
from storage.models import InboundUpdate
from storage.uow import Database
from tests.support.dashboard import PASSWORD, csrf_of, session, sign_in
from tests.support.service import make_settings, running_service
from texts import Texts
from usecases.context import AppContext
from usecases.inbox import failed_payloads, retry_failed, store_inbound
from usecases.monitoring import prometheus_text
from workers.inbox import InboxWorker

ROOT = Path(__file__).resolve().parents[1]

ALWAYS = {"mon-sun": "00:00-00:00"}
CONFIG = {
    "company": {"timezone": "UTC", "working_hours": ALWAYS},
    "team": {
        "heads": [{"telegram_id": 900, "name": "Head"}],
        "managers": [{"telegram_id": 101, "name": "Julia", "working_hours": ALWAYS}],
    },
}


async def _refuses(payload: str) -> None:
    raise ValueError(f"cannot read {payload[:10]}")


async def fail_one(ctx: AppContext, key: str = "1") -> int:
    """A payload processed once and kept as failed at once (a permanent error)."""
    await store_inbound(ctx, "telegram", key, '{"update_id": ' + key + "}")
    await InboxWorker(ctx, {"telegram": _refuses}, "me").run_once()
    failed = await failed_payloads(ctx)
    return max(item.id for item in failed)


async def test_failed_payload_is_listed_counted_and_queued_again(ctx: AppContext) -> None:
    row_id = await fail_one(ctx)
    [item] = await failed_payloads(ctx)
    assert (item.id, item.channel, item.attempts) == (row_id, "telegram", 1)
    assert item.error.startswith("ValueError: cannot read")
    assert item.failed_at == ctx.clock.now()
    assert "leadkeeper_inbox_failed 1\n" in await prometheus_text(ctx)
    assert await retry_failed(ctx, [row_id + 1000]) == []
    assert await retry_failed(ctx, [row_id]) == [row_id]
    assert await failed_payloads(ctx) == []
    assert "leadkeeper_inbox_failed 0\n" in await prometheus_text(ctx)
    handled: list[str] = []

    async def works(payload: str) -> None:
        handled.append(payload)

    await InboxWorker(ctx, {"telegram": works}, "me").run_once()
    assert handled == ['{"update_id": 1}']
    async with ctx.db.uow() as uow:
        assert await uow.inbox.pending_count() == 0
    # A second retry of a payload that is done now does nothing.
    assert await retry_failed(ctx, None) == []


def leadkeeper(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_cli_lists_and_retries_failed_payloads(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/lk.db"
    env = {"LEADKEEPER_CONFIG": str(ROOT / "leadkeeper.example.yaml"), "DATABASE_URL": url}
    assert leadkeeper("db", "upgrade", env=env).returncode == 0
    engine = create_engine(url)
    ctx = AppContext(
        Database(create_session_factory(engine)), SystemClock(), parse_config({}), Texts()
    )
    first = await fail_one(ctx, "1")
    await fail_one(ctx, "2")
    await engine.dispose()
    listing = await asyncio.to_thread(leadkeeper, "inbox", "failed", env=env)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["ID", "CHANNEL", "ATTEMPTS", "FAILED", "AT", "(UTC)", "ERROR"]
    assert len(lines) == 3 and all("telegram" in line for line in lines[1:])
    assert "ValueError: cannot read" in lines[1]
    retried = await asyncio.to_thread(leadkeeper, "inbox", "retry", str(first), "999", env=env)
    assert retried.returncode == 1
    assert f"queued again: {first}" in retried.stdout and "999" in retried.stderr
    nothing = await asyncio.to_thread(leadkeeper, "inbox", "retry", env=env)
    assert nothing.returncode == 2 and "--all" in nothing.stderr
    rest = await asyncio.to_thread(leadkeeper, "inbox", "retry", "--all", env=env)
    assert rest.returncode == 0 and re.search(r"queued again: \d+$", rest.stdout.strip())
    empty = await asyncio.to_thread(leadkeeper, "inbox", "failed", env=env)
    assert empty.stdout.strip() == "no failed inbound payloads"
    engine = create_engine(url)
    async with engine.connect() as connection:
        statuses = (await connection.execute(select(InboundUpdate.status))).scalars().all()
    await engine.dispose()
    assert statuses == ["pending", "pending"]


async def test_dashboard_shows_failed_payloads_and_retries_with_csrf(sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url, None, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, parse_config(CONFIG)) as service:
        row_id = await fail_one(service.ctx)
        base = f"http://127.0.0.1:{service.port}"
        async with session() as http:
            async with http.get(f"{base}/dashboard/inbox", allow_redirects=False) as response:
                assert response.status == 303  # the anonymous see nothing
            async with http.post(
                f"{base}/dashboard/inbox/retry", data={"id": str(row_id)}
            ) as response:
                assert response.status == 403
            await sign_in(http, base)
            async with http.get(f"{base}/dashboard/inbox") as response:
                page = await response.text()
            assert f'id="failed-{row_id}"' in page and "ValueError: cannot read" in page
            assert "Обработать снова" in page and "Сбои приёма" in page
            form = {"csrf": "forged", "id": str(row_id)}
            async with http.post(f"{base}/dashboard/inbox/retry", data=form) as response:
                assert response.status == 403
            form["csrf"] = csrf_of(page)
            async with http.post(
                f"{base}/dashboard/inbox/retry", data={**form, "id": "1e9"}
            ) as response:
                assert response.status == 400
            async with http.post(f"{base}/dashboard/inbox/retry", data=form) as response:
                assert response.status == 200 and str(response.url).endswith(f"requeued={row_id}")
                page = await response.text()
            assert f"Снова в очереди: № {row_id}." in page and 'id="no-failed"' in page
            english = {"Cookie": "lk_lang=en"}
            async with http.get(f"{base}/dashboard/inbox", headers=english) as response:
                assert "No failed inbound payloads." in await response.text()
        async with service.ctx.db.uow() as uow:
            assert await uow.inbox.pending_count() == 1
