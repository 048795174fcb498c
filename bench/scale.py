"""Scale-out (issue 7): sustained webhook capture on PostgreSQL with one and with two web
processes (`leadkeeper run --role web`), the scaling ratio, and where the CPU went.

A capture is an update committed to the durable inbox: the web process answers 200 only
after that commit (workers turn it into a lead afterwards). The load is closed-loop: a
fixed number of connections each POST the next update as soon as the last one is
answered, for a fixed time after a warm-up, spread round-robin over the web processes.
Every update is a new message (distinct update and message ids) from one of 1,000 chats.

    python -m bench.scale [--seconds 20] [--connections 32] [--webs 1,2] [--workers 0]
        [--generator auto|python|wrk] [--drain 3000]

`--workers N` also runs N worker processes during the measurement (they process the
inbox as it fills, and compete for the same CPU) and reports what they processed.
`--drain N` then times one and two worker processes turning N stored updates into leads
(the inbox filled first, the web process stopped).
`--generator wrk` drives the load with wrk (apt-get install wrk), which costs far less
CPU than the Python client; `auto` uses wrk when it is installed.

It uses its own database, `lk_bench_scale`, on the server of LEADKEEPER_BENCH_DATABASE_URL
(dropped and created again for every run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.common import (
    PG_URL,
    free_port,
    percentile,
    post_load,
    start_process,
    wait_healthy,
)
from bench.cpu import CpuSampler, children_ticks
from bench.load import SECRET, python_load, update_body, wrk_load
from tests.emulator.telegram import TelegramEmulator

TOKEN = "123456:BENCH"
DATABASE = "lk_bench_scale"


@dataclass
class Result:
    webs: int
    workers: int
    generator: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50: float = float("nan")
    p99: float = float("nan")
    processed: int = 0
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        cpu = "  ".join(f"{name} {share:.0%}" for name, share in self.cpu.items())
        extra = f"  processed {self.processed / self.seconds:6.0f}/s" if self.workers else ""
        return (
            f"{self.webs} web + {self.workers} worker ({self.generator}): "
            f"{self.rate:7.0f} msg/s  p50 {self.p50 * 1000:6.1f} ms  "
            f"p99 {self.p99 * 1000:6.1f} ms  errors {self.errors}{extra}  | CPU {cpu}"
        )


# -- one configuration ----------------------------------------------------------------------


async def fresh_database(create: bool = True) -> str:
    """Drop the benchmark's database and (unless told not to) create it empty."""
    server = make_url(PG_URL).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if create:
            await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()
    return make_url(PG_URL).set(database=DATABASE).render_as_string(hide_password=False)


async def count_messages(url: str) -> int:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM messages") or 0)
    finally:
        await connection.close()


async def measure(
    webs: int, workers: int, seconds: float, connections: int, generator: str, workdir: Path
) -> Result:
    url = await fresh_database()
    config = workdir / "bench.yaml"
    config.write_text("company: {timezone: UTC, working_hours: {mon-sun: '00:00-00:00'}}\n")
    ports = [free_port() for _ in range(webs)]
    result = Result(webs, workers, generator)
    async with TelegramEmulator(token=TOKEN) as emulator:
        env = {
            "DATABASE_URL": url,
            "LEADKEEPER_CONFIG": str(config),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": emulator.base_url,
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{ports[0]}/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_CHAT_INTERVAL": "0",
            "TELEGRAM_SEND_RATE": "1000",
            "LOG_LEVEL": "WARNING",
        }
        processes = []
        for index, port in enumerate(ports):
            processes.append(
                start_process(
                    ["-m", "app.cli", "run", "--role", "web"],
                    {**env, "HTTP_PORT": str(port)},
                    workdir / f"web{index}.log",
                )
            )
            # The first one migrates the empty database; the others find it done.
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        for index in range(workers):
            processes.append(
                start_process(
                    ["-m", "app.cli", "run", "--role", "worker"], env, workdir / f"w{index}.log"
                )
            )
        try:
            await asyncio.sleep(3.0 if workers else 0.5)
            urls = [f"http://127.0.0.1:{port}/telegram/webhook" for port in ports]
            use_wrk = generator == "wrk"
            # Warm-up: connection pools, prepared statements, the first JIT of everything.
            if use_wrk:
                await wrk_load(urls, connections, 3, 1, workdir)
            else:
                await python_load(urls, connections, 3.0, 1)
            web_pids = [p.pid for p in processes[:webs]]
            worker_pids = [p.pid for p in processes[webs:]]
            sampler = CpuSampler(
                {"web": web_pids, "worker": worker_pids, "load": [os.getpid()]}, DATABASE
            )
            processed_before = await count_messages(url)
            before = sampler.snapshot()
            children_before = children_ticks()
            if use_wrk:
                answered, errors, p50, p99 = await wrk_load(
                    urls, connections, seconds, 10**9, workdir
                )
                result.seconds = seconds
                result.p50, result.p99 = p50, p99
            else:
                answered, errors, latencies, elapsed = await python_load(
                    urls, connections, seconds, 10**9
                )
                result.seconds = elapsed
                result.p50 = percentile(latencies, 0.5)
                result.p99 = percentile(latencies, 0.99)
            after = sampler.snapshot()
            # wrk has exited and been waited for: its CPU is in the children's account.
            after["load"] += children_ticks() - children_before
            result.requests, result.errors = answered, errors
            result.processed = await count_messages(url) - processed_before
            result.cpu = CpuSampler.shares(before, after)
            if not workers:
                result.cpu.pop("worker", None)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
    return result


async def measure_drain(workers: int, updates: int, workdir: Path) -> tuple[float, dict]:
    """Fill the inbox with `updates` (one web process, then stopped), start `workers`
    worker processes and time them from 10 % to 90 % of the inbox processed: inbound
    messages a second turned into contacts, leads, messages, events and acknowledgements
    (sent to the emulator meanwhile). Nobody is on the team, so leads wait in the queue:
    this times capture, not the per-chat pacing of cards to a few managers."""
    url = await fresh_database()
    config = workdir / "drain.yaml"
    config.write_text("company: {timezone: UTC, working_hours: {mon-sun: '00:00-00:00'}}\n")
    port = free_port()
    async with TelegramEmulator(token=TOKEN) as emulator:
        env = {
            "DATABASE_URL": url,
            "LEADKEEPER_CONFIG": str(config),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": emulator.base_url,
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_CHAT_INTERVAL": "0",
            "TELEGRAM_SEND_RATE": "1000",
            "LOG_LEVEL": "WARNING",
        }
        web = start_process(
            ["-m", "app.cli", "run", "--role", "web"],
            {**env, "HTTP_PORT": str(port)},
            workdir / "drain-web.log",
        )
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            bodies = [json.loads(update_body(index)) for index in range(1, updates + 1)]
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            await post_load([f"http://127.0.0.1:{port}/telegram/webhook"], bodies, 32, headers)
        finally:
            web.terminate()
            web.wait(30)
        processes = [
            start_process(
                ["-m", "app.cli", "run", "--role", "worker"], env, workdir / f"drain-w{i}.log"
            )
            for i in range(workers)
        ]
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        sampler = CpuSampler(
            {"worker": [p.pid for p in processes], "load": [os.getpid()]}, DATABASE
        )
        marks: dict[str, tuple[float, dict[str, int]]] = {}
        try:
            while True:
                done = await connection.fetchval(
                    "SELECT count(*) FROM inbound_updates WHERE status = 'done'"
                )
                for name, share in (("low", 0.1), ("high", 0.9)):
                    if name not in marks and done >= updates * share:
                        marks[name] = (time.perf_counter(), sampler.snapshot())
                if "high" in marks:
                    break
                await asyncio.sleep(0.1)
        finally:
            await connection.close()
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)
    (started, before), (ended, after) = marks["low"], marks["high"]
    rate = updates * 0.8 / (ended - started)
    return rate, CpuSampler.shares(before, after)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--webs", default="1,2")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--generator", choices=["auto", "python", "wrk"], default="auto")
    parser.add_argument(
        "--drain",
        type=int,
        default=0,
        help="also time 1 and 2 workers processing this many stored updates (e.g. 3000)",
    )
    args = parser.parse_args()
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for webs in (int(value) for value in args.webs.split(",")):
            result = await measure(
                webs, args.workers, args.seconds, args.connections, generator, Path(folder)
            )
            print(result.line(), flush=True)
            results.append(result)
        if len(results) >= 2 and results[0].rate:
            print(f"capture scaling ratio {results[-1].rate / results[0].rate:.2f}", flush=True)
        if args.drain:
            rates = []
            for workers in (1, 2):
                rate, cpu = await measure_drain(workers, args.drain, Path(folder))
                shares = "  ".join(f"{name} {share:.0%}" for name, share in cpu.items())
                print(f"{workers} worker(s): {rate:6.0f} msg/s processed  | CPU {shares}")
                rates.append(rate)
            print(f"processing scaling ratio {rates[1] / rates[0]:.2f}")
    await fresh_database(create=False)


if __name__ == "__main__":
    asyncio.run(main())
