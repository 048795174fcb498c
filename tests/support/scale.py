"""Shared parts of the scale-out tests (tests/test_scale_*.py): the service as real
subprocesses (`python -m app.cli run --role web|worker`), a fresh PostgreSQL database per
test, webhook POSTs that are retried like Telegram redelivers, and database counts."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlalchemy import text

from storage.db import create_engine
from tests.support.env import PG_SKIP, PG_URL
from tests.support.templates import PostgresDatabases, postgres_databases

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST"
WEBHOOK_SECRET = "scale-webhook-secret"


def _pg() -> PostgresDatabases:
    if PG_URL is None:
        pytest.skip(PG_SKIP)
    return postgres_databases(PG_URL)


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database (skips when PostgreSQL is not configured)."""
    databases = _pg()
    url = await databases.create()
    try:
        yield url
    finally:
        await databases.drop(url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    path: Path,
    *,
    heads: Iterable[int] = (),
    managers: Iterable[int] = (),
    sla: dict[str, Any] | None = None,
    mode: str = "rotation",
) -> Path:
    """A round-the-clock company: everybody on shift, so leads go out at once."""
    always = {"mon-sun": "00:00-00:00"}
    config = {
        "company": {"name": "Acme", "timezone": "UTC", "working_hours": always},
        # No public holidays: these processes run on the real clock, on any date.
        "calendar": {"country": "none"},
        "sla": sla or {"first_response": "1d", "first_response_reminder": "20h"},
        "distribution": {"mode": mode},
        "team": {
            "heads": [
                {"telegram_id": tid, "name": f"Head {i}", "timezone": "UTC"}
                for i, tid in enumerate(heads)
            ],
            "managers": [
                {
                    "telegram_id": tid,
                    "name": f"Manager {i}",
                    "level": "senior",
                    "capacity": 10_000,
                    "timezone": "UTC",
                    "working_hours": always,
                }
                for i, tid in enumerate(managers)
            ],
        },
        # No follow-up sequences: what goes out is acks, cards, relays and timers.
        "followups": {"sequences": []},
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def service_env(
    database_url: str,
    api_base: str,
    config: Path,
    *,
    webhook_port: int,
    **extra: str,
) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "LEADKEEPER_CONFIG": str(config),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api_base,
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HTTP_HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        # The emulator has no limits here: sending must not be the bottleneck.
        "TELEGRAM_CHAT_INTERVAL": "0",
        "TELEGRAM_SEND_RATE": "2000",
        "REDIS_URL": "",
    }
    env.update(extra)
    return env


@dataclass
class ServiceProcess:
    name: str
    role: str
    process: asyncio.subprocess.Process
    log: Path
    port: int | None = None
    # Where this run's output starts in the log (a restarted process appends to it).
    offset: int = 0

    @property
    def url(self) -> str:
        assert self.port is not None, f"{self.name} has no HTTP server"
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        with self.log.open("rb") as handle:
            handle.seek(self.offset)
            return handle.read().decode("utf-8", errors="replace")

    def tail(self, chars: int = 4000) -> str:
        return f"--- {self.name} ---\n{self.output()[-chars:]}"

    async def wait_ready(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Web: /healthz answers 200. Worker: it logged that it runs (LOG_LEVEL=INFO)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"{self.name} exited early\n{self.tail()}")
                if self.port is None:
                    if "Leadkeeper is running" in self.output():
                        return
                else:
                    with contextlib.suppress(aiohttp.ClientError):
                        async with session.get(f"{self.url}/healthz") as response:
                            if response.status == 200:
                                return
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} did not start\n{self.tail()}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def terminate(self, timeout: float = 40.0) -> int:  # noqa: ASYNC109
        """SIGTERM and wait; returns the exit code (SIGKILL if it does not stop in time)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"{self.name} ignored SIGTERM\n{self.tail()}") from None


async def start_service(
    name: str, role: str, env: dict[str, str], folder: Path, *, port: int | None = None
) -> ServiceProcess:
    log = folder / f"{name}.log"
    offset = log.stat().st_size if log.exists() else 0
    full_env = {**os.environ, **env}
    if port is not None:
        full_env["HTTP_PORT"] = str(port)
    with log.open("ab") as handle:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "run",
            "--role",
            role,
            cwd=ROOT,
            env=full_env,
            stdout=handle,
            stderr=asyncio.subprocess.STDOUT,
        )
    return ServiceProcess(name, role, process, log, port if role != "worker" else None, offset)


@contextlib.asynccontextmanager
async def services(*processes: ServiceProcess) -> AsyncIterator[list[ServiceProcess]]:
    """Stops whatever is still running at the end, whatever happened."""
    group = list(processes)
    try:
        yield group
    finally:
        for proc in group:
            if proc.process.returncode is None:
                proc.process.send_signal(signal.SIGTERM)
        for proc in group:
            try:
                await asyncio.wait_for(proc.process.wait(), 30)
            except TimeoutError:
                proc.process.kill()
                await proc.process.wait()


async def wait_healthy(base_url: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + max(timeout, 1.0)
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{base_url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{base_url}/healthz did not answer 200")
            await asyncio.sleep(0.1)


@dataclass
class PostStats:
    posted: int = 0
    attempts: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def post_updates(
    urls: list[str],
    updates: list[dict[str, Any]],
    *,
    concurrency: int = 16,
    deadline: float = 120.0,
    stats: PostStats | None = None,
    secret: str = WEBHOOK_SECRET,
) -> PostStats:
    """POST every update to the webhooks (round-robin), retrying each until it gets 200,
    as Telegram redelivers an update the bot did not acknowledge."""
    stats = stats or PostStats()
    queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for index, update in enumerate(updates):
        queue.put_nowait((index, update))
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    give_up = time.monotonic() + deadline
    timeout = aiohttp.ClientTimeout(total=10)

    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout
    ) as session:

        async def worker() -> None:
            while True:
                try:
                    index, update = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                attempt = 0
                while True:
                    url = f"{urls[(index + attempt) % len(urls)]}/telegram/webhook"
                    attempt += 1
                    stats.attempts += 1
                    started = time.perf_counter()
                    try:
                        async with session.post(url, json=update, headers=headers) as response:
                            await response.read()
                            status = response.status
                    except (aiohttp.ClientError, TimeoutError):
                        status = 0
                    stats.count(status)
                    if status == 200:
                        stats.latencies.append(time.perf_counter() - started)
                        stats.posted += 1
                        break
                    if time.monotonic() > give_up:
                        raise AssertionError(f"update {update['update_id']} never took")
                    await asyncio.sleep(min(0.1 * attempt, 1.0))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return stats


class Db:
    """Plain counts straight from the tables, for the assertions."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_size=2, max_overflow=2)

    async def close(self) -> None:
        await self.engine.dispose()

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql), params)]

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as connection:
            return await connection.scalar(text(sql), params)

    async def inbound_messages(self) -> tuple[int, int]:
        """(inbound messages stored, distinct external ids among them)."""
        row = (
            await self.rows(
                "SELECT count(*), count(DISTINCT external_id) FROM messages WHERE direction = 'in'"
            )
        )[0]
        return int(row[0]), int(row[1])

    async def inbox_counts(self) -> dict[str, int]:
        rows = await self.rows("SELECT status, count(*) FROM inbound_updates GROUP BY status")
        return {str(status): int(count) for status, count in rows}

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self.rows("SELECT status, count(*) FROM outbox GROUP BY status")
        return {str(status): int(count) for status, count in rows}

    async def settled(self) -> bool:
        """Nothing left to do: every inbound update handled, every outbox row done."""
        inbox = await self.inbox_counts()
        outbox = await self.outbox_counts()
        return (
            not inbox.get("pending")
            and not inbox.get("processing")
            and not (outbox.get("pending") or outbox.get("sending"))
        )


async def wait_until(
    predicate: Any,
    timeout: float,  # noqa: ASYNC109
    what: str,
    *,
    every: float = 0.25,
    context: Any = None,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        outcome = predicate()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            extra = context() if callable(context) else ""
            if asyncio.iscoroutine(extra):
                extra = await extra
            raise AssertionError(f"{what}: not within {timeout:.0f}s\n{extra}")
        await asyncio.sleep(every)


def postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL server binaries (initdb, pg_ctl), if installed."""
    found = sorted(
        Path(folder)
        for folder in glob.glob("/usr/lib/postgresql/*/bin")
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists()
    )
    return found[-1] if found else None


class OwnPostgres:
    """A throw-away PostgreSQL server with its own data folder and port, which a test may
    stop and start without disturbing anything else. Trust auth on loopback."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="lk-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._user: str | None = None
        if os.geteuid() == 0:
            # initdb refuses to run as root: the server runs as the postgres account.
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres account for initdb")
            self._user = "postgres"
            shutil.chown(self.folder, "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/leadkeeper"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}")

    def _options(self) -> str:
        return f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    async def create_database(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user="postgres", database="postgres"
        )
        try:
            await connection.execute("CREATE DATABASE leadkeeper")
        finally:
            await connection.close()

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
