"""Two processes dispatch the same 10,000 due steps on PostgreSQL: each is queued once."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, insert, select

from storage.db import create_engine
from storage.models import ChannelIdentity, Contact, FollowupStep, Lead, LeadEvent, OutboxMessage
from tests.support.env import PG_SKIP, PG_URL

ROOT = Path(__file__).resolve().parents[1]
STEPS = 10_000
LEADS = 100

pytestmark = pytest.mark.skipif(PG_URL is None, reason=PG_SKIP)


async def _fill(url: str) -> None:
    engine = create_engine(url)
    past = datetime.now(UTC) - timedelta(minutes=5)
    async with engine.begin() as connection:
        await connection.execute(
            insert(Contact),
            [
                {"id": i, "display_name": f"c{i}", "created_at": past, "updated_at": past}
                for i in range(1, LEADS + 1)
            ],
        )
        await connection.execute(
            insert(ChannelIdentity),
            [
                {
                    "contact_id": i,
                    "channel": "telegram",
                    "external_id": str(i),
                    "chat_id": str(i),
                    "created_at": past,
                }
                for i in range(1, LEADS + 1)
            ],
        )
        await connection.execute(
            insert(Lead),
            [
                {
                    "id": i,
                    "contact_id": i,
                    "status": "contacted",
                    "is_open": True,
                    "channel": "telegram",
                    "created_at": past,
                    "stage_entered_at": past,
                    "priority": 0,
                    "pass_count": 0,
                    "extra": {},
                    "needs_head": False,
                }
                for i in range(1, LEADS + 1)
            ],
        )
        await connection.execute(
            insert(FollowupStep),
            [
                {
                    "sequence": "reminder",
                    "step": 0,
                    "trigger_key": f"t{n}",
                    "lead_id": n % LEADS + 1,
                    "contact_id": n % LEADS + 1,
                    "due_at": past,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": past,
                }
                for n in range(STEPS)
            ],
        )
    await engine.dispose()


async def test_two_processes_queue_each_due_step_once(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("this test is about two processes on PostgreSQL")
    await _fill(database_url)
    config = tmp_path / "leadkeeper.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "company": {"timezone": "UTC"},
                "followups": {
                    "quiet_hours": "00:00-00:00",
                    "sequences": [
                        {
                            "name": "reminder",
                            "trigger": {"event": "manager_replied"},
                            "marketing": False,
                            "steps": [{"delay": "1m", "text": "hi {lead_id}"}],
                        }
                    ],
                },
            }
        )
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEADKEEPER_CONFIG": str(config),
        "LOG_LEVEL": "WARNING",
    }
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "followups",
            "dispatch",
            "--batch",
            "200",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await asyncio.wait_for(p.communicate(), 180) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    handled = [int(out.decode().split()[1]) for out, _ in outputs]
    # Both took part, and together they handled every step exactly once.
    assert sum(handled) == STEPS and min(handled) > 0, handled

    engine = create_engine(database_url)
    async with engine.connect() as connection:
        sent = await connection.scalar(
            select(func.count()).select_from(FollowupStep).where(FollowupStep.status == "sent")
        )
        queued = await connection.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.purpose == "followup")
        )
        events = await connection.scalar(
            select(func.count()).select_from(LeadEvent).where(LeadEvent.type == "followup_sent")
        )
    await engine.dispose()
    assert sent == queued == events == STEPS
