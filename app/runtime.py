"""The running service: HTTP server, Telegram (polling or webhook), outbox worker and the
scheduler that wakes timed work, started and stopped in order."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import Update
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr

from app.dispatcher import create_bot, create_dispatcher, used_update_types
from channels.registry import build_channels
from channels.telegram.normalise import repair_raw_update
from channels.telegram.sender import TelegramSender
from channels.telegram.webhook import TelegramWebhook
from config.business import Config, ConfigError
from config.settings import Settings, TelegramMode
from domain.clock import Clock, SystemClock
from followups.digest import run_digest
from followups.timed_work import run_timed_work
from handlers.http.server import create_app
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import Database
from texts import Texts
from usecases.assignment import distribute_waiting
from usecases.capture import warm_up_detector
from usecases.claims import ClaimKeeper, ClaimTimes
from usecases.context import AppContext
from usecases.delivery import OutboxDelivery
from usecases.ports import ChannelSender
from usecases.team import reconcile_team
from workers.heartbeat import HeartbeatLoop, process_alive, this_process
from workers.inbox import InboxWorker
from workers.loop import WokenLoop
from workers.telegram_polling import TelegramPolling

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

    def __post_init__(self) -> None:
        self.stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._bot: Bot | None = None
        self._dispatcher: Dispatcher | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self.port: int | None = None
        self._plugins: list = []
        self._claims: ClaimKeeper | None = None

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
        senders: dict[str, ChannelSender] = {}
        webhook = None
        telegram_state = "off"
        if settings.telegram_bot_token is not None:
            try:
                self._bot = create_bot(
                    settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base
                )
            except TokenValidationError:
                raise ConfigError(
                    "TELEGRAM_BOT_TOKEN is not a bot token (expected 123456:ABC..., "
                    "as BotFather gives it)"
                ) from None
            self._dispatcher = create_dispatcher(self.ctx, self._fsm_storage())
            senders["telegram"] = TelegramSender(
                self._bot,
                settings.telegram_chat_interval,
                request_timeout=settings.telegram_request_timeout,
            )
            telegram_state = settings.telegram_mode.value
            if settings.telegram_mode is TelegramMode.WEBHOOK:
                secret = settings.telegram_webhook_secret
                webhook = TelegramWebhook(
                    self._bot, self.ctx, secret.get_secret_value() if secret else None
                )
        else:
            log.warning(
                "Telegram is off: set TELEGRAM_BOT_TOKEN (from @BotFather) in .env or the "
                "environment to turn it on"
            )

        self._plugins = build_channels(settings, self.ctx)
        for plugin in self._plugins:
            if plugin.sender is not None:
                senders[plugin.name] = plugin.sender
        for name, sender in senders.items():
            limit = getattr(sender, "max_text_length", 0)
            if limit:
                self.ctx.text_limits[name] = int(limit)

        if self.role in (Role.ALL, Role.WEB):
            api_token = settings.api_token.get_secret_value() if settings.api_token else None
            app = create_app(
                self.ctx,
                api_token=api_token,
                webhook=webhook,
                telegram_state=telegram_state,
                dashboard_password=_secret(settings.dashboard_password),
                dashboard_secret=_secret(settings.dashboard_secret),
            )
            for plugin in self._plugins:
                if plugin.add_routes is not None:
                    plugin.add_routes(app)
            self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, settings.http_host, settings.http_port)
            await site.start()
            sockets = self._runner.addresses
            self.port = sockets[0][1] if sockets else settings.http_port
            log.info("HTTP on http://%s:%s (GET /healthz)", settings.http_host, self.port)

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
            if self._bot is not None and self._dispatcher is not None:
                inbox = InboxWorker(
                    self.ctx,
                    {"telegram": self._process_telegram},
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
                    rates={"telegram": settings.telegram_send_rate},
                    lease=timedelta(seconds=settings.outbox_lease),
                    holder=holder,
                    stopping=self.stopping,
                )
                self._loop(WokenLoop("outbox", delivery.run_once), wakers)
            self.ctx.wake = lambda topic: wakers[topic]() if topic in wakers else None
            if "telegram" in senders:
                self._scheduler.add_job(
                    run_digest,
                    "interval",
                    seconds=self.digest_interval,
                    args=[self.ctx],
                    id="digest",
                    max_instances=1,
                    coalesce=True,
                )
            self._scheduler.start()
            for plugin in self._plugins:
                for index, task in enumerate(plugin.tasks):
                    self._spawn(task(self.stopping), f"{plugin.name}-{index}")

        if self._bot is not None and self._dispatcher is not None:
            try:
                await self._set_menu()
            except Exception as exc:  # the menu is a nicety; Telegram being away is not fatal
                log.warning("could not set the bot menu: %s", exc)
            if settings.telegram_mode is TelegramMode.WEBHOOK:
                if self.role in (Role.ALL, Role.WEB):
                    await self._register_webhook()
            elif self.role in (Role.ALL, Role.WORKER):
                self._spawn(self._poll(), "polling")

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

    async def _process_telegram(self, payload: str) -> None:
        """An update from the inbox, through the dispatcher, this time to its handlers."""
        assert self._bot is not None and self._dispatcher is not None
        raw = repair_raw_update(json.loads(payload))
        update = Update.model_validate(raw, context={"bot": self._bot})
        await self._dispatcher.feed_update(self._bot, update)

    def _fsm_storage(self) -> BaseStorage | None:
        """Redis when configured, so a manager's dialog survives landing on another process."""
        if self.settings.redis_url is None:
            return None
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(self.settings.redis_url.get_secret_value())

    async def _set_menu(self) -> None:
        """The customer's menu: start, complaint, unsubscribe (Russian and English)."""
        assert self._bot is not None
        from aiogram.types import BotCommand

        for language in ("ru", "en"):
            texts = self.ctx.texts
            commands = [
                BotCommand(command=name, description=str(texts.get(f"menu_{name}", language)))
                for name in ("start", "complaint", "stop")
            ]
            await self._bot.set_my_commands(
                commands, language_code=None if language == "ru" else language
            )

    async def _register_webhook(self) -> None:
        assert self._bot is not None and self._dispatcher is not None
        url = self.settings.telegram_webhook_url
        if not url:
            raise ConfigError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL")
        secret = self.settings.telegram_webhook_secret
        await self._bot.set_webhook(
            url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=used_update_types(self._dispatcher),
        )
        log.info("Telegram webhook registered")

    async def _poll(self) -> None:
        assert self._bot is not None and self._dispatcher is not None
        # getUpdates is refused while a webhook is set; polling mode means no webhook.
        await self._bot.delete_webhook(drop_pending_updates=False)
        token = self.settings.telegram_bot_token
        assert token is not None
        polling = TelegramPolling(
            self.ctx,
            self.settings.telegram_api_base,
            token.get_secret_value(),
            used_update_types(self._dispatcher),
        )
        await polling.run(self.stopping)

    def _spawn(self, coroutine: object, name: str) -> None:
        task = asyncio.ensure_future(coroutine)  # type: ignore[arg-type]
        task.set_name(name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped: %r", task.get_name(), task.exception())
            self.stopping.set()

    async def stop(self) -> None:
        """Finish what is in hand, then close: HTTP first, so no new work arrives."""
        self.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
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
        if self._dispatcher is not None:
            await self._dispatcher.storage.close()
        if self._bot is not None:
            await self._bot.session.close()
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
        await self.stopping.wait()
        log.info("stopping: finishing the work in hand")
        await self.stop()
