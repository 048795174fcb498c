"""Follow-up claiming (issue 4): one million pending steps in PostgreSQL.

Measures the claim rate of the repository's locking query (StepRepo.lock_due: SELECT … FOR
UPDATE SKIP LOCKED, plus an UPDATE marking the rows, one commit a batch) and of lighter
variants; the full dispatcher (usecases.followups.dispatch_due, which also queues the
outbox rows), alone and as two processes, with its peak memory at 1,000,000 and at 100,000
pending steps; and beside them the alternative of one APScheduler job per step (start-up
time and memory). Every measurement runs in a fresh subprocess, so that its peak RSS is
its own.

    python -m bench.followups_claim [--steps 1000000] [--claim 200000] [--dispatch 8000]
        [--variants repo:1000,repo:5000,core:5000,update:5000,update_in:5000]
        [--jobs 10000,100000] [--layout streams|random] [--parts claim,dispatch,apscheduler]

`--layout streams` (the default) schedules steps as a live system would (three delays, so
the due order interleaves three runs in insertion order); `random` makes due times
unrelated to the insertion order, the worst case for the heap. The script drops and
recreates the public schema of the benchmark database (`test`, see bench/common.py:
LEADKEEPER_BENCH_DATABASE_URL); run one copy at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, text

from bench.capture import reset_postgres
from bench.common import PG_URL, ROOT, report, rss_mb
from bench.followups_data import LAYOUTS, LEADS, pending, prepare, reload, restore
from config.business import parse_config
from domain.clock import SystemClock
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import FollowupStep
from storage.uow import Database
from texts import Texts
from usecases.context import AppContext
from usecases.followups import BATCH, dispatch_due

SEQUENCES = ("reminder", "materials")
VARIANTS = {
    "repo": "StepRepo.lock_due (ORM rows) + UPDATE … WHERE id = ANY(ids)",
    "core": "the same SELECT, ids only (Core) + UPDATE … WHERE id = ANY(ids)",
    "update": "UPDATE … WHERE id = ANY(ARRAY(SELECT … FOR UPDATE SKIP LOCKED)) RETURNING id",
    # The obvious spelling; PostgreSQL 15 plans it as a hash semi-join over a full scan.
    "update_in": "UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id",
}
MARK = "UPDATE followup_steps SET status = 'sent', done_at = :now WHERE id = ANY(:ids)"
CLAIM = """
SELECT id FROM followup_steps
WHERE status = 'pending' AND due_at <= :now
ORDER BY due_at, id
LIMIT :limit
FOR UPDATE SKIP LOCKED
"""
CLAIM_UPDATE = {
    "update": f"UPDATE followup_steps SET status = 'sent', done_at = :now "
    f"WHERE id = ANY(ARRAY({CLAIM})) RETURNING id",
    "update_in": f"UPDATE followup_steps SET status = 'sent', done_at = :now "
    f"WHERE id IN ({CLAIM}) RETURNING id",
}


# --- the measured processes -----------------------------------------------------------


async def claim_batch(db: Database, variant: str, batch: int) -> int:
    now = datetime.now(UTC)
    async with db.uow() as uow:
        session = uow._session
        assert session is not None
        if variant in CLAIM_UPDATE:
            statement = text(CLAIM_UPDATE[variant])
            result = await session.execute(statement, {"now": now, "limit": batch})
            count = len(result.all())
        else:
            if variant == "repo":
                ids = [row.id for row in await uow.steps.lock_due(now, batch)]
            else:
                statement = (
                    select(FollowupStep.id)
                    .where(FollowupStep.status == "pending", FollowupStep.due_at <= now)
                    .order_by(FollowupStep.due_at, FollowupStep.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
                ids = list(await session.scalars(statement))
            if ids:
                await session.execute(text(MARK), {"now": now, "ids": ids})
            count = len(ids)
        await uow.commit()
    return count


async def child_claim(variant: str, batch: int, rows: int) -> None:
    engine = create_engine(PG_URL)
    db = Database(create_session_factory(engine))
    base = rss_mb("VmRSS")
    await claim_batch(db, variant, batch)  # warm-up: connection, statement caches
    claimed = 0
    started = time.perf_counter()
    while claimed < rows:
        count = await claim_batch(db, variant, batch)
        if not count:
            break
        claimed += count
    seconds = time.perf_counter() - started
    await engine.dispose()
    report(rows=claimed, seconds=seconds, rate=claimed / seconds, base_mb=base)


def dispatch_config() -> Any:
    message = "Hello {customer_name}! Lead #{lead_id}, {company}."
    steps = [{"delay": delay, "text": message} for delay in ("1h", "23h", "2d")]
    return parse_config(
        {
            "company": {"name": "Acme", "timezone": "UTC"},
            "followups": {
                "quiet_hours": "00:00-00:00",
                "sequences": [
                    {
                        "name": name,
                        "trigger": {"event": "manager_replied"},
                        "marketing": False,
                        "steps": steps,
                    }
                    for name in SEQUENCES
                ],
            },
        }
    )


async def child_dispatch(rows: int, batch: int) -> None:
    engine = create_engine(PG_URL)
    statements = 0

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    ctx = AppContext(
        Database(create_session_factory(engine)), SystemClock(), dispatch_config(), Texts()
    )
    base = rss_mb("VmRSS")
    warmup = await dispatch_due(ctx, batch)
    statements = 0
    handled = 0
    cpu = time.process_time()
    wall = time.time()
    started = time.perf_counter()
    while handled < rows:
        count = await dispatch_due(ctx, batch)
        if not count:
            break
        handled += count
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    await engine.dispose()
    report(
        started=wall,
        ended=wall + seconds,
        warmup=warmup,
        rows=handled,
        seconds=seconds,
        rate=handled / seconds,
        base_mb=base,
        statements_per_row=statements / handled,
        python_cpu_share=cpu / seconds,
    )


async def _send_step(step_id: int) -> None:
    """What each APScheduler job would run."""


async def child_apscheduler(jobs: int) -> None:
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    base = rss_mb("VmRSS")
    first = datetime.now(UTC) + timedelta(days=1)
    started = time.perf_counter()
    scheduler = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, timezone=UTC)
    # Best case: added in due order (as a start-up would read them), so every insert into
    # the job store's sorted list is an append.
    for step_id in range(jobs):
        scheduler.add_job(
            _send_step,
            "date",
            run_date=first + timedelta(seconds=step_id),
            args=[step_id],
            id=f"step:{step_id}",
        )
    added = time.perf_counter() - started
    scheduler.start()
    await asyncio.sleep(0)  # the scheduler's first wake-up: nothing due, sleeps until first
    await asyncio.sleep(0)
    seconds = time.perf_counter() - started
    count = len(scheduler.get_jobs())
    scheduler.shutdown(wait=False)
    report(rows=count, seconds=seconds, add_s=added, start_s=seconds - added, base_mb=base)


def start_child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.followups_claim", "--child", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(process: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"child {process.args} failed:\n{stderr}")
    return json.loads(stdout.strip().splitlines()[-1])


def run_child(*args: str) -> dict[str, Any]:
    return collect(start_child(*args))


# --- the run --------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, what: str, result: dict[str, Any], unit: str, extra: str = "") -> None:
        peak = f"{result['base_mb']:.0f} → {result['maxrss_mb']:.0f} MB"
        if abs(result["maxrss_mb"] - result["peak_mb"]) > 2:
            # ru_maxrss may carry the parent's high-water mark over exec; VmHWM does not.
            peak += f" (VmHWM {result['peak_mb']:.0f})"
        row = (
            what,
            f"{result['rows']:,} in {result['seconds']:.2f} s",
            f"{result['rate']:,.0f} {unit}",
            peak,
            extra,
        )
        self.rows.append(row)
        print(" | ".join(row), flush=True)

    def markdown(self) -> str:
        lines = [
            "| measurement | rows | rate | RSS after imports → peak (ru_maxrss) | notes |",
            "|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


async def run_claims(table: Table, dsn: str, args: argparse.Namespace) -> None:
    print(f"\n-- bare claim, {args.claim:,} rows per variant, {args.steps:,} pending at start")
    for item in args.variants.split(","):
        variant, _, batch = item.partition(":")
        result = run_child("claim", variant, batch, str(args.claim))
        table.add(f"claim `{variant}`, batch {batch}", result, "rows/s", VARIANTS[variant])
        await restore(dsn)


def dispatch_notes(result: dict[str, Any]) -> str:
    return (
        f"{result['statements_per_row']:.3f} statements a step; "
        f"Python on CPU {result['python_cpu_share']:.0%} of the time"
    )


async def check_pending(dsn: str, before: int, results: list[dict[str, Any]]) -> None:
    """Warn when the pending steps went down by more than we handled: another consumer."""
    after = await pending(dsn)
    handled = sum(r["rows"] + r["warmup"] for r in results)
    if before - after != handled:
        print(f"WARNING: {before - after - handled:,} steps were taken by another client")


async def run_dispatch(table: Table, dsn: str, args: argparse.Namespace) -> None:
    print(f"\n-- dispatcher (dispatch_due, batch {BATCH}), {args.dispatch:,} steps")
    before = await pending(dsn)
    result = run_child("dispatch", str(args.dispatch), str(BATCH))
    table.add(f"dispatcher, {before:,} pending", result, "steps/s", dispatch_notes(result))
    await check_pending(dsn, before, [result])

    before = await pending(dsn)
    workers = [start_child("dispatch", str(args.dispatch // 2), str(BATCH)) for _ in range(2)]
    results = [collect(worker) for worker in workers]
    combined = {
        "rows": sum(r["rows"] for r in results),
        "seconds": max(r["ended"] for r in results) - min(r["started"] for r in results),
        "base_mb": max(r["base_mb"] for r in results),
        "peak_mb": max(r["peak_mb"] for r in results),
        "maxrss_mb": max(r["maxrss_mb"] for r in results),
    }
    combined["rate"] = combined["rows"] / combined["seconds"]
    table.add(f"dispatcher, 2 processes, {before:,} pending", combined, "steps/s", "together")
    await check_pending(dsn, before, results)

    await reload(dsn, args.small, args.layout)
    before = await pending(dsn)
    result = run_child("dispatch", str(args.dispatch), str(BATCH))
    table.add(f"dispatcher, {before:,} pending", result, "steps/s", dispatch_notes(result))
    await check_pending(dsn, before, [result])


def run_apscheduler(table: Table, args: argparse.Namespace) -> None:
    print("\n-- alternative: one APScheduler 3 job per step (AsyncIOScheduler, MemoryJobStore)")
    for jobs in args.jobs.split(","):
        result = run_child("apscheduler", jobs)
        result["rate"] = result["rows"] / result["seconds"]
        notes = f"add {result['add_s']:.2f} s + start {result['start_s']:.2f} s"
        table.add(f"APScheduler, {int(jobs):,} date jobs", result, "jobs/s", notes)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="second table size")
    parser.add_argument("--claim", type=int, default=200_000, help="rows claimed per variant")
    parser.add_argument("--dispatch", type=int, default=8_000, help="steps dispatched")
    parser.add_argument("--variants", default="repo:1000,repo:5000,core:5000,update:5000")
    parser.add_argument("--jobs", default="10000,100000", help="APScheduler job counts")
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="streams")
    parser.add_argument("--parts", default="claim,dispatch,apscheduler")
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    total = time.perf_counter()
    table = Table()
    if parts & {"claim", "dispatch"}:
        dsn = await reset_postgres(PG_URL)
        await upgrade(PG_URL)
        seconds = await prepare(dsn, args.steps, args.layout)
        print(
            f"loaded {args.steps:,} pending steps ({LEADS:,} leads, layout {args.layout}) "
            f"in {seconds:.1f} s",
            flush=True,
        )
        if "claim" in parts:
            await run_claims(table, dsn, args)
        if "dispatch" in parts:
            await run_dispatch(table, dsn, args)
    if "apscheduler" in parts:
        run_apscheduler(table, args)
    print(f"\n{table.markdown()}\n\ntotal {time.perf_counter() - total:.0f} s")


def child(args: list[str]) -> None:
    kind, *rest = args
    if kind == "claim":
        variant, batch, rows = rest
        if variant not in VARIANTS:
            raise SystemExit(f"unknown variant {variant}; known: {', '.join(VARIANTS)}")
        asyncio.run(child_claim(variant, int(batch), int(rows)))
    elif kind == "dispatch":
        rows, batch = rest
        asyncio.run(child_dispatch(int(rows), int(batch)))
    elif kind == "apscheduler":
        asyncio.run(child_apscheduler(int(rest[0])))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        asyncio.run(main())
