"""The running service: HTTP server, the channels (Telegram among them), the inbox and
outbox workers and the scheduler that wakes timed work, started and stopped in order."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from aiogram.fsm.storage.base import BaseStorage
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr

from app.dispatcher import create_dispatcher
from channels.plugin import ChannelPlugin
from channels.registry import build_channels
from config.business import Config, ConfigError
from config.settings import Settings
from domain.clock import Clock, SystemClock
from domain.web_tokens import WebLogins
from followups.digest import run_digest
from followups.timed_work import run_timed_work
from handlers.http.server import RUNNER_OPTIONS, create_app
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import Database
from texts import Texts
from usecases.assignment import distribute_waiting
from usecases.capture import warm_up_detector
from usecases.channel_health import start_watching
from usecases.claims import ClaimKeeper, ClaimTimes
from usecases.context import AppContext
from usecases.delivery import OutboxDelivery
from usecases.ports import ChannelSender
from usecases.team import log_never_started, reconcile_team
from usecases.watchdog import Watched, run_watchdog
from workers.heartbeat import HeartbeatLoop, process_alive, this_process
from workers.inbox import InboxWorker
from workers.loop import WokenLoop

log = logging.getLogger(__name__)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class Role(StrEnum):
    ALL = "all"
    WEB = "web"
    WORKER = "worker"


@dataclass
class Service:
    settings: Settings
    config: Config
    role: Role = Role.ALL
    clock: Clock = field(default_factory=SystemClock)
    timed_work_interval: float = 5.0
    # How often worker processes look whether a head's daily digest is due.
    digest_interval: float = 30.0
    # How often worker processes look whether a channel's probe is due (the rows say
    # when: watchdog.probe_every).
    watchdog_interval: float = 5.0

    def __post_init__(self) -> None:
        self.stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self.port: int | None = None
        self._plugins: list[ChannelPlugin] = []
        self._claims: ClaimKeeper | None = None
        # Set when the service stopped on something the administrator must fix.
        self.fatal: ConfigError | None = None

    async def start(self) -> None:
        settings = self.settings
        await upgrade(settings.database_url)
        self._engine = create_engine(settings.database_url)
        self.ctx = AppContext(
            db=Database(create_session_factory(self._engine)),
            clock=self.clock,
            config=self.config,
            texts=Texts(self.config.texts),
        )
        await reconcile_team(self.ctx)
        await log_never_started(self.ctx)
        self._claims = ClaimKeeper(
            self.ctx,
            this_process(self.role.value),
            ClaimTimes(
                beat_every=timedelta(seconds=settings.worker_heartbeat),
                dead_after=timedelta(seconds=settings.worker_dead_after),
                inbox_lease=timedelta(seconds=settings.inbox_lease),
                outbox_lease=timedelta(seconds=settings.outbox_lease),
            ),
            process_alive,
        )
        # Before any loop claims: what a killed predecessor held is taken back now.
        await self._claims.register()
        holder = self._claims.holder.id
        self._spawn(
            HeartbeatLoop(self._claims, settings.worker_heartbeat).run(self.stopping),
            "heartbeat",
        )
        # Loading the morphology dictionaries takes a second; not on the first customer.
        await asyncio.to_thread(warm_up_detector, self.config)
        self._plugins = build_channels(
            settings, self.ctx, lambda: create_dispatcher(self.ctx, self._fsm_storage())
        )
        senders: dict[str, ChannelSender] = {
            plugin.name: plugin.sender for plugin in self._plugins if plugin.sender is not None
        }
        processors = {
            plugin.name: plugin.process for plugin in self._plugins if plugin.process is not None
        }
        rates = {
            plugin.name: plugin.send_rate
            for plugin in self._plugins
            if plugin.send_rate is not None
        }
        telegram = next((p for p in self._plugins if p.name == "telegram"), None)
        for name, sender in senders.items():
            limit = getattr(sender, "max_text_length", 0)
            if limit:
                self.ctx.text_limits[name] = int(limit)
            if getattr(sender, "answers_only", False):
                self.ctx.answer_only.add(name)
            if getattr(sender, "takes_staff_photos", False):
                self.ctx.photo_channels.add(name)

        if self.role in (Role.ALL, Role.WEB):
            # Webhooks' payloads are committed in shared batches; closed after HTTP is.
            self.ctx.db.open_door(window=settings.door_window, max_rows=settings.door_batch)
            api_token = settings.api_token.get_secret_value() if settings.api_token else None
            app = create_app(
                self.ctx,
                api_token=api_token,
                telegram_state=telegram.state if telegram is not None else "off",
                channels={plugin.name: plugin.state for plugin in self._watched()},
                dashboard_password=_secret(settings.dashboard_password),
                dashboard_secret=_secret(settings.dashboard_secret),
                dashboard_session_seconds=int(settings.dashboard_session_lifetime.total_seconds()),
            )
            for plugin in self._plugins:
                if plugin.add_routes is not None:
                    plugin.add_routes(app)
            self._runner = web.AppRunner(
                app, handle_signals=False, access_log=None, **RUNNER_OPTIONS
            )
            await self._runner.setup()
            site = web.TCPSite(self._runner, settings.http_host, settings.http_port)
            await site.start()
            sockets = self._runner.addresses
            self.port = sockets[0][1] if sockets else settings.http_port
            log.info("HTTP on http://%s:%s (GET /healthz)", settings.http_host, self.port)
        self.ctx.web = WebLogins(
            base_url=settings.dashboard_url
            or f"http://{settings.http_host}:{self.port or settings.http_port}",
            link_lifetime=settings.dashboard_link_lifetime,
            session_lifetime=settings.dashboard_session_lifetime,
        )

        if self.role in (Role.ALL, Role.WORKER):
            self._scheduler = AsyncIOScheduler(timezone="UTC")
            wakers: dict[str, Callable[[], None]] = {}
            # The scheduler only wakes; what is due lives in database rows.
            self._scheduler.add_job(
                run_timed_work,
                "interval",
                seconds=self.timed_work_interval,
                args=[self.ctx],
                id="timed-work",
                max_instances=1,
                coalesce=True,
            )
            if processors:
                inbox = InboxWorker(
                    self.ctx,
                    processors,
                    holder,
                    lease=timedelta(seconds=settings.inbox_lease),
                    stopping=self.stopping,
                )
                self._loop(WokenLoop("inbox", inbox.run_once), wakers)
            # Leads are handed out in batches by one loop, not after every capture.
            self.ctx.distribute_after_capture = False
            self._loop(WokenLoop("distribute", lambda: distribute_waiting(self.ctx)), wakers)
            if senders:
                delivery = OutboxDelivery(
                    self.ctx,
                    senders,
                    rates=rates,
                    lease=timedelta(seconds=settings.outbox_lease),
                    holder=holder,
                    stopping=self.stopping,
                    idle_poll=self._outbox_idle_poll(),
                )
                outbox = WokenLoop("outbox", delivery.round)
                self._loop(outbox, wakers)
                # A wake says something changed; the loop's own tick only lets it look
                # when a row falls due or the idle poll is up (OutboxDelivery.round).
                wakers["outbox"] = _both(delivery.wake, outbox.wake)
                self.ctx.db.outbox_queued = _both(delivery.expect, lambda _due: outbox.wake())
            for plugin in self._plugins:
                wakers.update(plugin.wakers)
            self.ctx.wake = lambda topic: wakers[topic]() if topic in wakers else None
            # The digest goes to heads in Telegram.
            if telegram is not None:
                self._scheduler.add_job(
                    run_digest,
                    "interval",
                    seconds=self.digest_interval,
                    args=[self.ctx],
                    id="digest",
                    max_instances=1,
                    coalesce=True,
                )
            await start_watching(
                self.ctx, [p.name for p in self._watched() if p.state != "polling"]
            )
            watched = [Watched(plugin.name, plugin.probe) for plugin in self._watched()]
            self._scheduler.add_job(
                run_watchdog,
                "interval",
                seconds=self.watchdog_interval,
                args=[self.ctx, watched],
                id="watchdog",
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )
            self._scheduler.start()
            for plugin in self._plugins:
                for index, task in enumerate(plugin.tasks):
                    self._spawn(task(self.stopping), f"{plugin.name}-{index}")

        for plugin in self._plugins:
            # In the background: a platform away at start must not keep HTTP down.
            if plugin.on_start is not None:
                self._spawn(plugin.on_start(self.stopping), f"{plugin.name}-start")
            if plugin.on_web_start is not None and self.role in (Role.ALL, Role.WEB):
                self._spawn(plugin.on_web_start(self.stopping), f"{plugin.name}-web-start")
        # Measured from here on: start-up (migrations, dictionaries) is not serving lag.
        self._spawn(self.ctx.loop_lag.run(self.stopping), "loop-lag")

    def _watched(self) -> list[ChannelPlugin]:
        """The customer channels the watchdog looks at (not the outgoing webhooks)."""
        return [plugin for plugin in self._plugins if plugin.name != "webhook"]

    def _outbox_idle_poll(self) -> float:
        """How long an idle sender goes without looking at the outbox. On PostgreSQL
        other processes (web processes, other workers) queue rows this one is not woken
        for: it looks at every tick of the loop (each second), one statement. SQLite
        serves one process, whose every commit that queues a row wakes the sender, and
        whose sender knows when the next queued row falls due: the poll only catches
        writers outside the service (a command run beside it)."""
        bind = self.ctx.db.session_factory.kw.get("bind")
        return 5.0 if bind is not None and bind.dialect.name == "sqlite" else 0.0

    def _loop(self, loop: WokenLoop, wakers: dict[str, Callable[[], None]]) -> None:
        assert self._scheduler is not None
        wakers[loop.name] = loop.wake
        self._spawn(loop.run(self.stopping), loop.name)
        self._scheduler.add_job(
            loop.wake,
            "interval",
            seconds=1,
            id=f"{loop.name}-tick",
            max_instances=1,
            coalesce=True,
        )

    def _fsm_storage(self) -> BaseStorage | None:
        """Redis when configured, so a manager's dialog survives landing on another process."""
        if self.settings.redis_url is None:
            return None
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(self.settings.redis_url.get_secret_value())

    def _spawn(self, coroutine: object, name: str) -> None:
        task = asyncio.ensure_future(coroutine)  # type: ignore[arg-type]
        task.set_name(name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if isinstance(error, ConfigError):
            # Something only the administrator can fix (a refused token): say it and stop.
            log.error("%s", error)
            self.fatal = error
        else:
            log.error("%s stopped: %r", task.get_name(), error)
        self.stopping.set()

    async def stop(self) -> None:
        """Finish what is in hand, then close: HTTP first, so no new work arrives."""
        self.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            await self.ctx.db.close_door()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=20)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        if self._claims is not None:
            # What was claimed but not finished goes back now, not after a lease.
            try:
                await self._claims.give_back_own()
            except Exception as exc:
                log.warning("could not hand back the claims (%s); others take them over", exc)
        for plugin in self._plugins:
            if plugin.close is not None:
                await plugin.close()
        await self._engine.dispose()

    async def run_until_signal(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        await self.start()
        log.info("Leadkeeper is running (role %s)", self.role.value)
        if self.port is not None:
            base = f"http://{self.settings.http_host}:{self.port}"
            signing_in = "staff by /web in the bot" + (
                ", the administrator by DASHBOARD_PASSWORD"
                if self.settings.dashboard_password
                else ""
            )
            log.info(
                "dashboard: %s/dashboard/ (%s) · API: %s/api/leads (Bearer API_TOKEN) · "
                "health: %s/healthz",
                base,
                signing_in,
                base,
                base,
            )
            if not self.settings.dashboard_url:
                log.info(
                    "the bot's /web sign-in links point at %s: set DASHBOARD_URL to the "
                    "dashboard's public address",
                    self.ctx.web.base_url,
                )
        log.info("stop with Ctrl+C (or SIGTERM): the work in hand is finished first")
        await self.stopping.wait()
        log.info("stopping: finishing the work in hand")
        await self.stop()


def _both(first: Callable[..., None], second: Callable[..., None]) -> Callable[..., None]:
    def call(*args: Any) -> None:
        first(*args)
        second(*args)

    return call
